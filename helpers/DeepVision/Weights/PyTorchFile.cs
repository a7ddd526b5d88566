using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace DeepVision.Weights;

/// <summary>
/// Reads files written by PyTorch's <c>torch.save</c> without Python: the zip format (PyTorch 1.6 and later) and the
/// legacy format before it. Unpickling goes through <see cref="Unpickler"/>'s allow-list, so a file that would run
/// code is refused, not executed.
/// </summary>
public static class PyTorchFile
{
    /// <summary>Keys under which training checkpoints commonly keep the model's weights, in the order tried.</summary>
    public static readonly IReadOnlyList<string> StateDictKeys = ["model_state_dict", "state_dict", "model", "net", "module", "weights"];

    /// <summary>
    /// Reads a state_dict: name → tensor (on the CPU, contiguous, in the file's dtype). A training checkpoint that
    /// keeps the weights under <c>model_state_dict</c>, <c>state_dict</c> or similar is looked into.
    /// </summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        var root = ReadObject(path);
        var dict = FindStateDict(root, path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in dict)
            if (value is Tensor tensor) result[(string)key] = tensor;
        return result;
    }

    /// <summary>
    /// Reads the whole pickled object: <see cref="PyDict"/> for dicts, <c>List&lt;object?&gt;</c> for lists,
    /// <c>object?[]</c> for tuples, <c>long</c>, <c>double</c>, <c>bool</c>, <c>string</c>, <c>null</c>, and
    /// <see cref="Tensor"/> for tensors. Use it for optimizer state or a checkpoint's extra fields (epoch, loss).
    /// </summary>
    public static object? ReadObject(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No PyTorch file at {path}.", path);
        // Sniff the format from the first bytes only: a zip archive is read entry by entry, never whole.
        var head = new byte[262];
        int length;
        using (var stream = File.OpenRead(path))
            length = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K')
            return ReadZip(path);
        if (length >= 2 && head[0] == 0x80)
            return ReadLegacy(path, File.ReadAllBytes(path));
        if (length == head.Length && System.Text.Encoding.ASCII.GetString(head, 257, 5) == "ustar")
            throw new InvalidDataException($"{path} is in PyTorch's oldest tar format (before 0.4). Load it in Python and re-save it: torch.save(torch.load(path), \"new.pth\").");
        throw new InvalidDataException($"{path} is not a file written by torch.save (no zip signature and no pickle header). " +
            "If it is a safetensors file, read it with SafeTensors.Read; a TorchSharp .dat file loads with model.load(path).");
    }

    private static PyDict FindStateDict(object? root, string path)
    {
        if (root is not PyDict dict)
            throw new InvalidDataException($"{path} holds a {Describe(root)}, not a state_dict (a dict of name → tensor).");
        if (dict.Count > 0 && dict.Values.All(v => v is Tensor)) return dict;
        foreach (var key in StateDictKeys)
            if (dict.TryGetValue(key, out var inner) && inner is PyDict nested && nested.Values.Any(v => v is Tensor))
                return nested;
        if (dict.ContainsKey("state") && dict.ContainsKey("param_groups"))
            throw new InvalidDataException($"{path} holds an optimizer's state_dict, not a model's. Read it with PyTorchFile.ReadObject.");
        if (dict.Values.Any(v => v is Tensor)) return dict;
        throw new InvalidDataException(
            $"{path} holds a dict without tensors (keys: {string.Join(", ", dict.Keys.Take(10))}). Checkpoints are searched under " +
            $"{string.Join(", ", StateDictKeys)}; read other layouts with PyTorchFile.ReadObject.");
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        Tensor => "single tensor",
        List<object?> => "list",
        object?[] => "tuple",
        _ => value.GetType().Name,
    };

    private static object? ReadZip(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var pickleEntry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
            ?? throw new InvalidDataException($"{path} is a zip file but not a torch.save archive (no data.pkl inside).");
        var prefix = pickleEntry.FullName[..^"data.pkl".Length];
        if (zip.GetEntry(prefix + "byteorder") is { } order)
        {
            using var reader = new StreamReader(order.Open());
            if (reader.ReadToEnd().Trim() != "little")
                throw new InvalidDataException($"{path} was saved on a big-endian machine; re-save it on a little-endian one.");
        }
        var root = new Unpickler(ReadAll(pickleEntry), path, id => Storage(id, path)).Load();
        var storages = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        Tensor LoadStorage(StorageReference reference)
        {
            if (storages.TryGetValue(reference.Key, out var cached)) return cached;
            var entry = zip.GetEntry($"{prefix}data/{reference.Key}")
                ?? throw new InvalidDataException($"{path} names tensor storage {reference.Key}, which the archive lacks (damaged file?).");
            var storage = FromBytes(ReadAll(entry), reference, path);
            storages[reference.Key] = storage;
            return storage;
        }
        return Materialize(root, LoadStorage, path);
    }

    private static object? ReadLegacy(string path, byte[] bytes)
    {
        // Layout: magic number, protocol version, system info, the object, the storage keys: five pickles, then
        // each storage as an int64 element count followed by its raw little-endian data.
        var position = 0;
        object? Next(Func<object?[], object> persistent)
        {
            var unpickler = new Unpickler(bytes, path, persistent, position);
            var value = unpickler.Load();
            position = unpickler.Position;
            return value;
        }
        object NoPersistent(object?[] _) => throw new InvalidDataException($"{path}: unexpected persistent id in the legacy header.");
        var magic = Next(NoPersistent);
        if (magic is not BigInteger number || number != BigInteger.Parse("119547037146038801333356"))
            throw new InvalidDataException($"{path} starts with a pickle but is not a torch.save file (wrong magic number). " +
                "If it is a plain Python pickle, it cannot hold tensors that PyTorch wrote.");
        if (Next(NoPersistent) is not long protocol || protocol != 1001)
            throw new InvalidDataException($"{path} uses an unknown legacy protocol version.");
        if (Next(NoPersistent) is PyDict info && info.TryGetValue("little_endian", out var little) && little is false)
            throw new InvalidDataException($"{path} was saved on a big-endian machine; re-save it on a little-endian one.");
        var references = new Dictionary<string, StorageReference>();
        var root = Next(id =>
        {
            var reference = Storage(id, path);
            references.TryAdd(reference.Key, reference);
            if (id.Length > 5 && id[5] is object?[] { Length: 3 } view && view[0] is string viewKey)
                throw new InvalidDataException($"{path} uses storage views ({viewKey}) from PyTorch before 1.0; re-save it with a recent PyTorch.");
            return reference;
        });
        var keys = Next(NoPersistent) as List<object?> ?? throw new InvalidDataException($"{path}: the legacy storage list is missing.");
        var storages = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        foreach (var key in keys.Cast<string>())
        {
            if (!references.TryGetValue(key, out var reference))
                throw new InvalidDataException($"{path}: storage {key} is listed but never used.");
            if (position + 8 > bytes.Length) throw new InvalidDataException($"{path} is truncated (storage {key} is missing).");
            var count = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(position, 8));
            position += 8;
            var length = checked((int)(count * ElementSize(reference.StorageType)));
            if (position + length > bytes.Length) throw new InvalidDataException($"{path} is truncated (storage {key} is cut short).");
            storages[key] = FromBytes(bytes.AsSpan(position, length).ToArray(), reference with { Count = count }, path);
            position += length;
        }
        return Materialize(root, r => storages.TryGetValue(r.Key, out var s) ? s
            : throw new InvalidDataException($"{path}: storage {r.Key} is used but not stored (damaged file?)."), path);
    }

    private static StorageReference Storage(object?[] id, string path)
    {
        if (id.Length < 5 || id[0] is not "storage" || id[1] is not PyGlobal type || id[2] is not string key)
            throw new InvalidDataException($"{path}: a persistent id that is not a tensor storage.");
        var count = id[4] is long n ? n : 0;
        return new StorageReference(type.Name, key, count, id[3] as string ?? "cpu");
    }

    /// <summary>
    /// How deep containers may nest. A state_dict is 1 to 3 levels deep and an optimizer's state 5; a crafted pickle
    /// can nest 100,000 levels in 700 KB, which would overflow the stack (and kill the process) in a recursive walk.
    /// </summary>
    public const int MaxNesting = 1000;

    /// <summary>
    /// Replaces every <see cref="PendingTensor"/> in the object graph by a contiguous CPU tensor. Each container is
    /// visited once, however often it is referenced (the pickle memo lets 64 levels of [x, x] stand for 2^64 paths,
    /// and a list may contain itself), and nesting deeper than <see cref="MaxNesting"/> is refused.
    /// </summary>
    private static object? Materialize(object? root, Func<StorageReference, Tensor> storage, string path)
    {
        var done = new Dictionary<object, object>(ReferenceEqualityComparer.Instance);
        object? Visit(object? value, int depth)
        {
            if (value is null || value is string || value.GetType().IsValueType) return value;
            if (done.TryGetValue(value, out var seen)) return seen;
            if (depth > MaxNesting)
                throw new InvalidDataException($"{path}: containers nest more than {MaxNesting} levels deep; no weights file does " +
                    "(a crafted or damaged file). It was refused before anything ran.");
            switch (value)
            {
                case PendingTensor pending:
                {
                    var source = storage(pending.Storage);
                    if (pending.Offset < 0 || pending.Size.Any(s => s < 0) || pending.Stride.Any(s => s < 0) || pending.Size.Length != pending.Stride.Length)
                        throw new InvalidDataException($"{path}: a tensor of storage {pending.Storage.Key} has a negative or inconsistent offset, size or stride (damaged or crafted file).");
                    long needed;
                    try
                    {
                        needed = pending.Size.Length == 0 ? checked(pending.Offset + 1)
                            : pending.Size.Any(s => s == 0) ? 0
                            : checked(pending.Offset + pending.Size.Zip(pending.Stride, (s, st) => checked((s - 1) * st)).Aggregate(0L, (a, b) => checked(a + b)) + 1);
                    }
                    catch (OverflowException)
                    {
                        throw new InvalidDataException($"{path}: a tensor of storage {pending.Storage.Key} claims a size beyond any file (damaged or crafted file).");
                    }
                    if (needed > source.numel())
                        throw new InvalidDataException($"{path}: a tensor reaches past the end of storage {pending.Storage.Key} (damaged file?).");
                    // Not memoized: two names for one tensor get a tensor each, as torch.load's copies would be after .clone().
                    return source.as_strided(pending.Size, pending.Stride, pending.Offset).contiguous().clone().MoveToOuterDisposeScope();
                }
                case PyDict dict:
                    done[dict] = dict;
                    foreach (var key in dict.Keys.ToList()) dict[key] = Visit(dict[key], depth + 1);
                    return dict;
                case List<object?> list:
                    done[list] = list;
                    for (var i = 0; i < list.Count; i++) list[i] = Visit(list[i], depth + 1);
                    return list;
                case object?[] tuple:
                {
                    var copy = new object?[tuple.Length];
                    done[tuple] = copy;
                    for (var i = 0; i < tuple.Length; i++) copy[i] = Visit(tuple[i], depth + 1);
                    return copy;
                }
                default:
                    return value;
            }
        }
        return Visit(root, 0);
    }

    private static Tensor FromBytes(byte[] data, StorageReference reference, string path)
    {
        var dtype = DType(reference.StorageType, path);
        var elementSize = ElementSize(reference.StorageType);
        if (data.Length % elementSize != 0)
            throw new InvalidDataException($"{path}: storage {reference.Key} has {data.Length} bytes, not a whole number of {reference.StorageType} elements.");
        var tensor = empty([data.Length / elementSize], dtype);
        if (data.Length > 0) tensor.bytes = data;
        return tensor;
    }

    internal static ScalarType DType(string storageType, string path) => storageType switch
    {
        "FloatStorage" => ScalarType.Float32,
        "DoubleStorage" => ScalarType.Float64,
        "HalfStorage" => ScalarType.Float16,
        "BFloat16Storage" => ScalarType.BFloat16,
        "LongStorage" => ScalarType.Int64,
        "IntStorage" => ScalarType.Int32,
        "ShortStorage" => ScalarType.Int16,
        "CharStorage" => ScalarType.Int8,
        "ByteStorage" => ScalarType.Byte,
        "BoolStorage" => ScalarType.Bool,
        _ => throw new InvalidDataException($"{path}: tensors of storage type {storageType} are not supported."),
    };

    private static int ElementSize(string storageType) => storageType switch
    {
        "DoubleStorage" or "LongStorage" => 8,
        "FloatStorage" or "IntStorage" => 4,
        "HalfStorage" or "BFloat16Storage" or "ShortStorage" => 2,
        _ => 1,
    };

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        var buffer = new byte[entry.Length];
        stream.ReadExactly(buffer);
        return buffer;
    }
}
