using System.Buffers.Binary;
using System.Text;

namespace DeepVision.Weights;

/// <summary>One operation of an ONNX graph: its type, the names of its inputs and outputs, its attributes.</summary>
public sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes);

/// <summary>An attribute of an ONNX node (the fields that are set).</summary>
public sealed record OnnxAttribute(long? Int = null, float? Float = null, string? Text = null, IReadOnlyList<long>? Ints = null, IReadOnlyList<float>? Floats = null);

/// <summary>
/// The parts of an ONNX model that carry weights: the graph's nodes in order, its inputs and outputs, and its
/// initializers (float32 and int64) as tensors. A small reader of ONNX's protobuf encoding, enough for pretrained
/// image networks; it reads a bounded number of fixed nesting levels and checks every length against the file, so a
/// damaged or crafted file gets an error that names it, never a crash or a runaway.
/// </summary>
/// <param name="Path">The file that was read.</param>
/// <param name="Nodes">The graph's nodes, in the file's (topological) order.</param>
/// <param name="Initializers">Weights by name, on the CPU.</param>
/// <param name="Inputs">Names of the graph's inputs that are not initializers.</param>
/// <param name="Outputs">Names of the graph's outputs.</param>
public sealed record OnnxFile(string Path, IReadOnlyList<OnnxNode> Nodes, IReadOnlyDictionary<string, Tensor> Initializers,
    IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs)
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    public static OnnxFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No ONNX file at {path}.", path);
        var bytes = File.ReadAllBytes(path);
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var sawGraph = false;
        try
        {
            var model = new ProtoReader(bytes, path);
            while (model.Next(out var field, out var wire))
            {
                if (field != 7 || wire != 2) { model.Skip(wire); continue; }                 // ModelProto.graph
                sawGraph = true;
                var graph = model.Message();
                while (graph.Next(out var g, out var gw))
                {
                    switch (g)
                    {
                        case 1 when gw == 2: nodes.Add(ReadNode(graph.Message())); break;             // node
                        case 5 when gw == 2: ReadTensor(graph.Message(), initializers, path); break;   // initializer
                        case 11 when gw == 2: inputs.Add(ReadValueName(graph.Message())); break;       // input
                        case 12 when gw == 2: outputs.Add(ReadValueName(graph.Message())); break;      // output
                        default: graph.Skip(gw); break;
                    }
                }
            }
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            foreach (var t in initializers.Values) t.Dispose();
            throw new InvalidDataException($"{path} is not a valid ONNX model ({e.Message}).", e);
        }
        catch
        {
            foreach (var t in initializers.Values) t.Dispose();
            throw;
        }
        if (!sawGraph || nodes.Count == 0)
            throw new InvalidDataException($"{path} is not an ONNX model (no graph with nodes was found): truncated, or another kind of file?");
        inputs.RemoveAll(initializers.ContainsKey);
        return new OnnxFile(path, nodes, initializers, inputs, outputs);
    }

    private static string ReadValueName(ProtoReader value)
    {
        var name = "";
        while (value.Next(out var f, out var w))
            if (f == 1 && w == 2) name = value.Text(); else value.Skip(w);
        return name;
    }

    private static OnnxNode ReadNode(ProtoReader node)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", opType = "";
        while (node.Next(out var f, out var w))
        {
            switch (f)
            {
                case 1 when w == 2: inputs.Add(node.Text()); break;
                case 2 when w == 2: outputs.Add(node.Text()); break;
                case 3 when w == 2: name = node.Text(); break;
                case 4 when w == 2: opType = node.Text(); break;
                case 5 when w == 2:
                {
                    var (key, value) = ReadAttribute(node.Message());
                    attributes[key] = value;
                    break;
                }
                default: node.Skip(w); break;
            }
        }
        return new OnnxNode(opType, name, inputs, outputs, attributes);
    }

    private static (string, OnnxAttribute) ReadAttribute(ProtoReader attribute)
    {
        string name = "";
        long? integer = null;
        float? single = null;
        string? text = null;
        var ints = new List<long>();
        var floats = new List<float>();
        while (attribute.Next(out var f, out var w))
        {
            switch (f)
            {
                case 1 when w == 2: name = attribute.Text(); break;
                case 2 when w == 5: single = attribute.Fixed32Float(); break;
                case 3 when w == 0: integer = (long)attribute.Varint(); break;
                case 4 when w == 2: text = attribute.Text(); break;
                case 7 when w == 5: floats.Add(attribute.Fixed32Float()); break;
                case 7 when w == 2: floats.AddRange(attribute.PackedFloats()); break;
                case 8 when w == 0: ints.Add((long)attribute.Varint()); break;
                case 8 when w == 2: ints.AddRange(attribute.PackedVarints()); break;
                default: attribute.Skip(w); break;
            }
        }
        return (name, new OnnxAttribute(integer, single, text, ints.Count > 0 ? ints : null, floats.Count > 0 ? floats : null));
    }

    private const int Float = 1, Int64 = 7;

    private static void ReadTensor(ProtoReader tensor, Dictionary<string, Tensor> into, string path)
    {
        var dims = new List<long>();
        int dataType = 0;
        string name = "";
        ReadOnlyMemory<byte> raw = default;
        var floatData = new List<float>();
        var longData = new List<long>();
        while (tensor.Next(out var f, out var w))
        {
            switch (f)
            {
                case 1 when w == 0: dims.Add((long)tensor.Varint()); break;
                case 1 when w == 2: dims.AddRange(tensor.PackedVarints()); break;
                case 2 when w == 0: dataType = (int)tensor.Varint(); break;
                case 4 when w == 2: floatData.AddRange(tensor.PackedFloats()); break;
                case 4 when w == 5: floatData.Add(tensor.Fixed32Float()); break;
                case 7 when w == 2: longData.AddRange(tensor.PackedVarints()); break;
                case 7 when w == 0: longData.Add((long)tensor.Varint()); break;
                case 8 when w == 2: name = tensor.Text(); break;
                case 9 when w == 2: raw = tensor.Bytes(); break;
                case 14 when w == 0 && tensor.Varint() == 1:                                    // data_location EXTERNAL
                    throw new InvalidDataException($"{path}: initializer {name} is stored in an external file, which this reader does not follow.");
                default: tensor.Skip(w); break;
            }
        }
        if (dataType is not (Float or Int64)) return; // other types carry no weights of an image network
        if (dims.Any(d => d < 0)) throw new InvalidDataException($"{path}: initializer {name} has a negative dimension.");
        long count = 1;
        foreach (var d in dims) count = checked(count * d);
        var elementSize = dataType == Float ? 4 : 8;
        var given = raw.Length > 0 ? raw.Length / elementSize : dataType == Float ? floatData.Count : longData.Count;
        if (raw.Length % elementSize != 0 || given != count)
            throw new InvalidDataException($"{path}: initializer {name} has shape {Sizes.ShapeText([.. dims])} ({count} values) but holds {given}.");
        Tensor result;
        if (dataType == Float)
        {
            var values = raw.Length > 0 ? new float[count] : floatData.ToArray();
            for (var i = 0; raw.Length > 0 && i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Span[(i * 4)..]);
            result = torch.tensor(values).reshape([.. dims]);
        }
        else
        {
            var values = raw.Length > 0 ? new long[count] : longData.ToArray();
            for (var i = 0; raw.Length > 0 && i < count; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw.Span[(i * 8)..]);
            result = torch.tensor(values).reshape([.. dims]);
        }
        if (into.Remove(name, out var previous)) previous.Dispose();
        into[name] = result;
    }

    /// <summary>Protobuf's wire format: tags, varints, fixed 32-bit values and length-delimited fields, bounds-checked.</summary>
    private struct ProtoReader(ReadOnlyMemory<byte> data, string file)
    {
        private int _position;

        public bool Next(out int field, out int wire)
        {
            if (_position >= data.Length) { field = wire = 0; return false; }
            var tag = Varint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            if (field == 0) throw Damaged("a field numbered 0");
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= data.Length) throw Damaged("a number cut off at the end");
                var b = data.Span[_position++];
                value |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return value;
            }
            throw Damaged("a number longer than 10 bytes");
        }

        public float Fixed32Float() => BinaryPrimitives.ReadSingleLittleEndian(Take(4).Span);

        public ReadOnlyMemory<byte> Bytes()
        {
            var length = Varint();
            if (length > (ulong)(data.Length - _position)) throw Damaged($"a field of {length} bytes where {data.Length - _position} remain");
            return Take((int)length);
        }

        public string Text() => Encoding.UTF8.GetString(Bytes().Span);

        public ProtoReader Message() => new(Bytes(), file);

        public IEnumerable<long> PackedVarints()
        {
            var inner = new ProtoReader(Bytes(), file);
            var values = new List<long>();
            while (inner._position < inner.Length) values.Add((long)inner.Varint());
            return values;
        }

        public IEnumerable<float> PackedFloats()
        {
            var bytes = Bytes();
            if (bytes.Length % 4 != 0) throw Damaged("packed floats whose length is not a multiple of 4");
            var values = new float[bytes.Length / 4];
            for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Span[(i * 4)..]);
            return values;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Take(8); break;
                case 2: Bytes(); break;
                case 5: Take(4); break;
                default: throw Damaged($"wire type {wire}, which ONNX files do not use");
            }
        }

        private readonly int Length => data.Length;

        private ReadOnlyMemory<byte> Take(int count)
        {
            if (count > data.Length - _position) throw Damaged("a field cut off at the end");
            var slice = data.Slice(_position, count);
            _position += count;
            return slice;
        }

        private readonly InvalidDataException Damaged(string what) =>
            new($"{file} is not a valid ONNX model, or it is truncated or damaged: {what}.");
    }
}
