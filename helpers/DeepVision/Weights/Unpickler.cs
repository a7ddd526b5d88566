using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace DeepVision.Weights;

/// <summary>A global (module.name) that the unpickler refused: it is not something a state_dict needs.</summary>
public sealed class ForbiddenGlobalException(string module, string name, string message) : Exception(message)
{
    /// <summary>The refused global's module, e.g. <c>os</c> or <c>__main__</c>.</summary>
    public string Module { get; } = module;
    /// <summary>The refused global's name, e.g. <c>system</c>.</summary>
    public string Name { get; } = name;
}

/// <summary>A reference to a global that the allow-list permits (a storage type, a rebuild function, OrderedDict).</summary>
public sealed record PyGlobal(string Module, string Name)
{
    /// <inheritdoc />
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A tensor as the pickle describes it: which storage, where in it, its size and strides.</summary>
public sealed record PendingTensor(StorageReference Storage, long Offset, long[] Size, long[] Stride);

/// <summary>A tensor storage named by a pickle's persistent id: its element type, key and element count.</summary>
public sealed record StorageReference(string StorageType, string Key, long Count, string Location);

/// <summary>
/// A small pickle virtual machine (protocols 2 to 5) that builds dictionaries, lists, tuples, numbers, strings and
/// <see cref="PendingTensor"/>s, and nothing else. Every global goes through an allow-list of what a state_dict
/// needs (OrderedDict, torch's storage types and tensor rebuild functions); any other global (<c>os.system</c>,
/// <c>builtins.eval</c>, a model class) is refused when the pickle names it, so nothing it would call ever runs.
/// </summary>
public sealed class Unpickler
{
    private static readonly HashSet<string> StorageTypes =
    [
        "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
        "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    ];

    private static readonly HashSet<string> AllowedGlobals =
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state", "_codecs.encode", "builtins.set", "builtins.frozenset",
        "torch.Size",
    ];

    private readonly byte[] _data;
    private readonly string _file;
    private readonly Func<object?[], object> _persistentLoad;
    private int _position;

    /// <summary>Reads the pickle in <paramref name="data"/>; <paramref name="file"/> names it in errors.</summary>
    public Unpickler(byte[] data, string file, Func<object?[], object> persistentLoad, int start = 0)
    {
        _data = data;
        _file = file;
        _persistentLoad = persistentLoad;
        _position = start;
    }

    /// <summary>Where the next pickle starts (the legacy format stores several pickles one after another).</summary>
    public int Position => _position;

    /// <summary>Whether a global may be named in a weights file.</summary>
    public static bool IsAllowed(string module, string name) =>
        AllowedGlobals.Contains($"{module}.{name}") || (module == "torch" && StorageTypes.Contains(name));

    /// <summary>Runs the pickle to its STOP opcode and returns the object it built.</summary>
    public object? Load()
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();

        List<object?> PopToMark()
        {
            var mark = marks.Pop();
            var items = stack.GetRange(mark, stack.Count - mark);
            stack.RemoveRange(mark, stack.Count - mark);
            return items;
        }
        object? Pop()
        {
            if (stack.Count == 0) throw Corrupt("the stack is empty");
            var top = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return top;
        }
        object? Peek() => stack.Count == 0 ? throw Corrupt("the stack is empty") : stack[^1];

        while (true)
        {
            if (_position >= _data.Length) throw Corrupt("it ends before its STOP opcode (truncated file?)");
            var opcode = _data[_position++];
            switch (opcode)
            {
                case 0x80: _position++; break;                                   // PROTO
                case 0x95: _position += 8; break;                                // FRAME
                case (byte)'.': return Pop();                                    // STOP
                case (byte)'(': marks.Push(stack.Count); break;                  // MARK
                case (byte)'}': stack.Add(new PyDict()); break;                  // EMPTY_DICT
                case (byte)']': stack.Add(new List<object?>()); break;           // EMPTY_LIST
                case (byte)')': stack.Add(Array.Empty<object?>()); break;        // EMPTY_TUPLE
                case 0x8f: stack.Add(new HashSet<object?>()); break;             // EMPTY_SET
                case (byte)'t': stack.Add(PopToMark().ToArray()); break;         // TUPLE
                case 0x85: stack.Add(new[] { Pop() }); break;                    // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                case (byte)'l': stack.Add(PopToMark()); break;                   // LIST
                case (byte)'d':                                                   // DICT
                {
                    var items = PopToMark();
                    var dict = new PyDict();
                    for (var i = 0; i + 1 < items.Count; i += 2) dict[Key(items[i])] = items[i + 1];
                    stack.Add(dict);
                    break;
                }
                case 0x91: stack.Add(new HashSet<object?>(PopToMark())); break;  // FROZENSET
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case (byte)'K': stack.Add((long)Take(1)[0]); break;
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case 0x8a: stack.Add(Long(Take(Take(1)[0]))); break;             // LONG1
                case 0x8b: stack.Add(Long(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Take(Take(1)[0]))); break;
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Take(checked((int)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))))); break;
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Take(Take(1)[0]))); break;
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                case (byte)'C': stack.Add(Take(Take(1)[0]).ToArray()); break;   // SHORT_BINBYTES
                case (byte)'B': stack.Add(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break;
                case 0x8e: stack.Add(Take(checked((int)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray()); break;
                case (byte)'q': memo[Take(1)[0]] = Peek(); break;                // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                case 0x94: memo[memo.Count] = Peek(); break;                     // MEMOIZE
                case (byte)'h': stack.Add(Memo(memo, Take(1)[0])); break;        // BINGET
                case (byte)'j': stack.Add(Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)'0': Pop(); break;                                    // POP
                case (byte)'1': PopToMark(); break;                              // POP_MARK
                case (byte)'2': stack.Add(Peek()); break;                        // DUP
                case (byte)'a': { var item = Pop(); AsList(Peek()).Add(item); break; }
                case (byte)'e': { var items = PopToMark(); AsList(Peek()).AddRange(items); break; }
                case (byte)'s': { var value = Pop(); var key = Pop(); AsDict(Peek())[Key(key)] = value; break; }
                case (byte)'u':
                {
                    var items = PopToMark();
                    var dict = AsDict(Peek());
                    for (var i = 0; i + 1 < items.Count; i += 2) dict[Key(items[i])] = items[i + 1];
                    break;
                }
                case 0x90: { var items = PopToMark(); if (Peek() is HashSet<object?> set) set.UnionWith(items); break; }
                case (byte)'c':                                                   // GLOBAL "module\nname\n"
                {
                    var module = ReadLine();
                    var name = ReadLine();
                    stack.Add(Global(module, name));
                    break;
                }
                case 0x93: { var name = Pop() as string; var module = Pop() as string; stack.Add(Global(module ?? "?", name ?? "?")); break; }
                case (byte)'R': { var args = Pop(); var callable = Pop(); stack.Add(Call(callable, args as object?[] ?? throw Corrupt("REDUCE without an argument tuple"))); break; }
                case 0x81: { var args = Pop(); var cls = Pop(); stack.Add(Call(cls, args as object?[] ?? [])); break; }  // NEWOBJ
                case (byte)'b': { var state = Pop(); Build(Peek(), state); break; }  // BUILD
                case (byte)'Q': stack.Add(_persistentLoad(Pop() as object?[] ?? throw Corrupt("a persistent id that is not a tuple"))); break;
                default:
                    throw Corrupt($"opcode 0x{opcode:x2} at byte {_position - 1} is not one a PyTorch weights file uses");
            }
        }
    }

    private object Global(string module, string name)
    {
        if (IsAllowed(module, name)) return new PyGlobal(module, name);
        var qualified = $"{module}.{name}";
        if (module == "__main__" || module.StartsWith("torch.nn.modules", StringComparison.Ordinal) || module.StartsWith("torchvision.models", StringComparison.Ordinal))
            throw new ForbiddenGlobalException(module, name,
                $"{_file} holds a whole pickled model ({qualified}), not a state_dict: loading it would need that Python class and would run its code. " +
                "In Python, re-save only the weights: torch.save(model.state_dict(), \"weights.pth\").");
        if (module.StartsWith("torch.optim", StringComparison.Ordinal))
            throw new ForbiddenGlobalException(module, name,
                $"{_file} holds a pickled optimizer object ({qualified}); save optimizer.state_dict() instead.");
        throw new ForbiddenGlobalException(module, name,
            $"{_file} asks to call {qualified}, which a weights file never needs; it was refused before anything ran. " +
            "The file may be malicious, or it holds Python objects other than tensors. Only load weights from sources you trust.");
    }

    private object Call(object? callable, object?[] args)
    {
        if (callable is not PyGlobal global) throw Corrupt($"it calls something that is not a global ({callable?.GetType().Name ?? "None"})");
        switch (global.ToString())
        {
            case "collections.OrderedDict":
                return new PyDict();
            case "builtins.set":
            case "builtins.frozenset":
                return new HashSet<object?>(args.Length > 0 && args[0] is IEnumerable<object?> items ? items : []);
            case "torch.Size":
                return args.Length > 0 && args[0] is object?[] dims ? dims : [];
            case "_codecs.encode":
                return args.Length > 0 && args[0] is string text ? Encoding.Latin1.GetBytes(text) : throw Corrupt("_codecs.encode without a string");
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
            {
                if (args.Length < 4 || args[0] is not StorageReference storage)
                    throw Corrupt($"{global} with unexpected arguments");
                return new PendingTensor(storage, ToLong(args[1]), Longs(args[2]), Longs(args[3]));
            }
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args.Length > 0 && args[0] is PendingTensor tensor ? tensor : throw Corrupt($"{global} without a tensor");
            default:
                if (global.Module == "torch" && StorageTypes.Contains(global.Name)) return global;
                throw Corrupt($"it calls {global} in an unsupported way");
        }
    }

    private static void Build(object? target, object? state)
    {
        // OrderedDict's state is its __dict__ (a state_dict's _metadata): attributes that hold no weights.
        if (target is PyDict dict && state is PyDict attributes) dict.Attributes = attributes;
    }

    private static object Key(object? key) => key ?? "None";

    private static object? Memo(Dictionary<long, object?> memo, long index) =>
        memo.TryGetValue(index, out var value) ? value : throw new InvalidDataException($"pickle memo entry {index} is missing");

    private List<object?> AsList(object? value) => value as List<object?> ?? throw Corrupt("APPEND to something that is not a list");

    private PyDict AsDict(object? value) => value as PyDict ?? throw Corrupt("SETITEM on something that is not a dict");

    private static long ToLong(object? value) => value switch
    {
        long l => l,
        BigInteger b => (long)b,
        _ => throw new InvalidDataException($"expected an integer, found {value?.GetType().Name ?? "None"}"),
    };

    private static long[] Longs(object? value) => value is object?[] items ? items.Select(ToLong).ToArray() : throw new InvalidDataException("expected a tuple of integers");

    private static object Long(ReadOnlySpan<byte> bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _position + count > _data.Length) throw Corrupt("it ends in the middle of a value (truncated file?)");
        var span = _data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private string ReadLine()
    {
        var end = Array.IndexOf(_data, (byte)'\n', _position);
        if (end < 0) throw Corrupt("a GLOBAL without a line end");
        var line = Encoding.ASCII.GetString(_data, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private InvalidDataException Corrupt(string what) => new($"{_file}: the pickle is not a PyTorch weights file, or it is damaged: {what}.");
}

/// <summary>A Python dict (or OrderedDict) in insertion order; keys are strings or integers.</summary>
public sealed class PyDict : OrderedDictionary<object, object?>
{
    /// <summary>Attributes set on an OrderedDict by the pickle (a state_dict's <c>_metadata</c>).</summary>
    public PyDict? Attributes { get; set; }
}
