using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

using DeepVision.Storage;

namespace DeepVision.Weights;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte header length, a JSON header naming each tensor's dtype, shape
/// and byte range, then the raw little-endian data. Nothing in it can execute code. Used for our own checkpoints.
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> Types = new()
    {
        ["BOOL"] = (ScalarType.Bool, 1), ["U8"] = (ScalarType.Byte, 1), ["I8"] = (ScalarType.Int8, 1),
        ["I16"] = (ScalarType.Int16, 2), ["I32"] = (ScalarType.Int32, 4), ["I64"] = (ScalarType.Int64, 8),
        ["F16"] = (ScalarType.Float16, 2), ["BF16"] = (ScalarType.BFloat16, 2), ["F32"] = (ScalarType.Float32, 4),
        ["F64"] = (ScalarType.Float64, 8),
        // libtorch's uint16/uint32 have no TorchSharp type: they widen, losslessly, to the next signed type.
        ["U16"] = (ScalarType.Int32, 2), ["U32"] = (ScalarType.Int64, 4),
    };

    /// <summary>Reads every tensor (on the CPU) and the header's <c>__metadata__</c> strings.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadWithMetadata(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No safetensors file at {path}.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw Bad(path, "it is shorter than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8)) throw Bad(path, $"the header claims {headerLength} bytes but the file has {bytes.Length - 8}");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))?.AsObject() ?? throw Bad(path, "the header is empty");
        }
        catch (JsonException e)
        {
            throw Bad(path, $"the header is not valid JSON ({e.Message})");
        }
        var dataStart = 8 + (long)headerLength;
        var dataLength = bytes.Length - dataStart;
        var metadata = new Dictionary<string, string>();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var (key, value) in node?.AsObject() ?? []) metadata[key] = value?.GetValue<string>() ?? "";
                    continue;
                }
                var entry = node?.AsObject() ?? throw Bad(path, $"tensor {name} has no description");
                var dtypeName = entry["dtype"]?.GetValue<string>() ?? throw Bad(path, $"tensor {name} has no dtype");
                if (!Types.TryGetValue(dtypeName, out var type))
                    throw Bad(path, $"tensor {name} has dtype {dtypeName}, which TorchSharp cannot hold (supported: {string.Join(", ", Types.Keys)})");
                var shape = entry["shape"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray() ?? throw Bad(path, $"tensor {name} has no shape");
                var offsets = entry["data_offsets"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                if (offsets is not { Length: 2 } || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw Bad(path, $"tensor {name} has data offsets outside the file");
                var count = shape.Aggregate(1L, (a, b) => a * b);
                if (offsets[1] - offsets[0] != count * type.Size)
                    throw Bad(path, $"tensor {name} of shape {Sizes.ShapeText(shape)} needs {count * type.Size} bytes of {dtypeName}, the header gives {offsets[1] - offsets[0]}");
                var span = bytes.AsSpan((int)(dataStart + offsets[0]), (int)(offsets[1] - offsets[0]));
                tensors[name] = dtypeName switch
                {
                    "U16" => Widen(span, shape, 2),
                    "U32" => Widen(span, shape, 4),
                    _ => FromBytes(span, shape, type.Type),
                };
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    /// <summary>Reads every tensor (on the CPU): name → tensor.</summary>
    public static Dictionary<string, Tensor> Read(string path) => ReadWithMetadata(path).Tensors;

    /// <summary>
    /// Writes <paramref name="tensors"/> (moved to the CPU, made contiguous) with optional string metadata.
    /// The file appears atomically: it is written under a temporary name and renamed when complete.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)JsonValue.Create(m.Value))));
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var dtypeName = Types.FirstOrDefault(t => t.Value.Type == tensor.dtype && t.Key is not ("U16" or "U32")).Key
                ?? throw new ArgumentException($"Tensor {name} has dtype {tensor.dtype}, which safetensors cannot store.", nameof(tensors));
            using var cpu = tensor.detach().cpu().contiguous();
            var data = cpu.numel() == 0 ? [] : cpu.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = dtypeName,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + data.Length)),
            };
            blobs.Add(data);
            offset += data.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // the format asks for 8-byte alignment of the data, padded with spaces
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (var i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var blob in blobs) stream.Write(blob);
        });
    }

    private static Tensor FromBytes(ReadOnlySpan<byte> data, long[] shape, ScalarType type)
    {
        var tensor = empty(shape, type);
        if (!data.IsEmpty) tensor.bytes = data.ToArray();
        return tensor;
    }

    private static Tensor Widen(ReadOnlySpan<byte> data, long[] shape, int size)
    {
        var count = data.Length / size;
        if (size == 2)
        {
            var values = new int[count];
            for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(i * 2)..]);
            using var flat = tensor(values);
            return flat.reshape(shape);
        }
        var wide = new long[count];
        for (var i = 0; i < count; i++) wide[i] = BinaryPrimitives.ReadUInt32LittleEndian(data[(i * 4)..]);
        using var flatWide = tensor(wide);
        return flatWide.reshape(shape);
    }

    private static InvalidDataException Bad(string path, string what) => new($"{path} is not a valid safetensors file: {what}.");
}
