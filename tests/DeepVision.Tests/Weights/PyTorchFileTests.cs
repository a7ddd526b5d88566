using System.Text.Json.Nodes;
using DeepVision.Models;

using DeepVision.Weights;

namespace DeepVision.Tests.Weights;

/// <summary>
/// The torch.save reader against real PyTorch files: tests/data/pytorch (written by PyTorch through
/// tests/data/generate.py, described in its expected.json) and the TorchSharp.PyBridge test files in tests/data/pybridge
/// (described independently by Python's own pickle module, tests/data/pybridge/describe.py).
/// </summary>
public class PyTorchFileTests
{
    private static string Checkpoints(string file) => RepoPaths.TestData("pytorch", file);

    private static JsonObject Expected() => JsonNode.Parse(File.ReadAllText(Checkpoints("expected.json")))!.AsObject();

    [Theory]
    [InlineData("lenet_state_dict.pth")]
    [InlineData("lenet_state_dict_legacy.pth")]
    [InlineData("lenet_checkpoint.pt")]
    public void LeNet_weights_load_and_reproduce_pytorch_logits(string file)
    {
        var expected = Expected();
        var weights = PyTorchFile.ReadStateDict(Checkpoints(file));
        try
        {
            var described = expected["state_dict"]!.AsObject();
            Assert.Equal(described.Select(e => e.Key).Order(StringComparer.Ordinal), weights.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, node) in described)
            {
                var tensor = weights[name];
                Assert.Equal(node!["shape"]!.AsArray().Select(d => (long)d!), tensor.shape);
                Assert.Equal((string)node["dtype"]!, DTypeName(tensor.dtype));
                var sum = tensor.to_type(ScalarType.Float64).sum().item<double>();
                Assert.True(Math.Abs(sum - (double)node["sum"]!) <= 1e-9 * Math.Max(1, Math.Abs(sum)), $"{file}: {name} sums to {sum}");
            }

            using var model = Zoo.lenet5(batchNorm: true);
            var report = StateDict.Load(model, weights);
            Assert.True(report.IsComplete, report.ToString());
            model.eval();
            var input = expected["input"]!.AsArray().Select(v => (float)(double)v!).ToArray();
            using var x = tensor(input).reshape(expected["input_shape"]!.AsArray().Select(d => (long)d!).ToArray());
            using var noGrad = no_grad();
            using var logits = model.call(x);
            var reference = expected["logits"]!.AsArray().SelectMany(r => r!.AsArray().Select(v => (float)(double)v!)).ToArray();
            using var y = tensor(reference).reshape(logits.shape);
            var error = (logits - y).abs().max().item<float>() / y.abs().max().item<float>();
            Assert.True(error < 1e-5, $"{file}: logits differ from PyTorch's by {error:E2}");
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    [Fact]
    public void A_checkpoint_keeps_its_other_fields()
    {
        var root = Assert.IsType<PyDict>(PyTorchFile.ReadObject(Checkpoints("lenet_checkpoint.pt")));
        Assert.Equal(3L, root["epoch"]);
        Assert.Equal(0.25, root["loss"]);
        Assert.Equal("checkpoint", root["note"]);
        var optimizer = Assert.IsType<PyDict>(root["optimizer_state_dict"]);
        var group = Assert.IsType<PyDict>(Assert.Single(Assert.IsType<List<object?>>(optimizer["param_groups"])));
        Assert.Equal(0.1, group["lr"]);
        Assert.Equal(0.9, group["momentum"]);
        var state = Assert.IsType<PyDict>(optimizer["state"]);
        var buffer = Assert.IsType<Tensor>(Assert.IsType<PyDict>(state[0L])["momentum_buffer"]);
        Assert.Equal([6L, 1, 5, 5], buffer.shape); // SGD momentum for features.0.weight
    }

    [Fact]
    public void Dtypes_views_shared_storage_scalars_and_empty_tensors_read_exactly()
    {
        var expected = Expected()["corner_cases"]!.AsObject();
        var tensors = PyTorchFile.ReadStateDict(Checkpoints("corner_cases.pth"));
        Assert.Equal(expected.Select(e => e.Key).Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, node) in expected)
        {
            var tensor = tensors[name];
            Assert.Equal((string)node!["dtype"]!, DTypeName(tensor.dtype));
            Assert.Equal(node["shape"]!.AsArray().Select(d => (long)d!), tensor.shape);
            var values = tensor.to_type(ScalarType.Float64).flatten().data<double>().ToArray();
            Assert.Equal(node["values"]!.AsArray().Select(v => (double)v!), values);
        }
        Assert.True(tensors["transposed"].is_contiguous());
    }

    [Fact]
    public void A_whole_pickled_module_is_refused_with_the_fix()
    {
        var error = Assert.Throws<ForbiddenGlobalException>(() => PyTorchFile.ReadStateDict(Checkpoints("lenet_whole_module.pt")));
        Assert.Contains("lenet_whole_module.pt", error.Message);
        Assert.Contains("whole pickled model", error.Message);
        Assert.Contains("model.state_dict()", error.Message);
    }

    public static TheoryData<string> PyBridgeFiles() => new(Reference().Select(e => e.Key));

    private static JsonObject Reference() =>
        JsonNode.Parse(File.ReadAllText(RepoPaths.TestData("pybridge", "expected.json")))!.AsObject();

    [Theory]
    [MemberData(nameof(PyBridgeFiles))]
    public void PyBridge_files_read_as_pythons_pickle_reads_them(string file)
    {
        var path = RepoPaths.TestData("pybridge", file);
        var ours = PyTorchFile.ReadObject(path);
        AssertSame(Reference()[file]!, ours, file);
        if (file.Contains("optimizers"))
        {
            var error = Assert.Throws<InvalidDataException>(() => PyTorchFile.ReadStateDict(path));
            Assert.Contains("optimizer", error.Message);
        }
    }

    [Fact]
    public void Files_that_are_not_torch_save_files_get_a_clear_error()
    {
        using var folder = new TempFolder();
        var text = Path.Combine(folder.Path, "notes.pth");
        File.WriteAllText(text, "hello");
        Assert.Contains("not a file written by torch.save", Assert.Throws<InvalidDataException>(() => PyTorchFile.ReadStateDict(text)).Message);

        var truncated = Path.Combine(folder.Path, "truncated.pth");
        var legacy = File.ReadAllBytes(Checkpoints("lenet_state_dict_legacy.pth"));
        File.WriteAllBytes(truncated, legacy[..(legacy.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => PyTorchFile.ReadStateDict(truncated));
        Assert.Contains("truncated.pth", error.Message);

        var tensorsOnly = RepoPaths.TestData("safetensors-samples", "f.safetensors");
        Assert.Contains("SafeTensors.Read", Assert.Throws<InvalidDataException>(() => PyTorchFile.ReadStateDict(tensorsOnly)).Message);
    }

    internal static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float16 => "float16", ScalarType.BFloat16 => "bfloat16", ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64", ScalarType.Int64 => "int64", ScalarType.Int32 => "int32",
        ScalarType.Byte => "uint8", ScalarType.Bool => "bool", _ => type.ToString(),
    };

    private static void AssertSame(JsonNode? expected, object? actual, string where)
    {
        switch (expected)
        {
            case null:
                Assert.Null(actual);
                break;
            case JsonObject o when o.ContainsKey("__tensor__"):
                var tensor = Assert.IsType<Tensor>(actual);
                Assert.Equal(o["shape"]!.AsArray().Select(d => (long)d!), tensor.shape);
                Assert.Equal((string)o["dtype"]! switch { "FloatStorage" => ScalarType.Float32, "LongStorage" => ScalarType.Int64, var d => throw new InvalidOperationException(d) }, tensor.dtype);
                Assert.Equal(o["values"]!.AsArray().Select(v => (double)v!), tensor.to_type(ScalarType.Float64).flatten().data<double>().ToArray());
                break;
            case JsonObject o:
                var dict = Assert.IsType<PyDict>(actual);
                Assert.Equal(o.Select(e => e.Key).Order(StringComparer.Ordinal), dict.Keys.Select(k => k.ToString()!).Order(StringComparer.Ordinal));
                foreach (var (key, value) in dict) AssertSame(o[key.ToString()!], value, $"{where}/{key}");
                break;
            case JsonArray a:
                var items = actual switch { List<object?> l => l, object?[] t => t.ToList(), _ => throw new Xunit.Sdk.XunitException($"{where}: expected a list, found {actual}") };
                Assert.Equal(a.Count, items.Count);
                for (var i = 0; i < a.Count; i++) AssertSame(a[i], items[i], $"{where}[{i}]");
                break;
            case JsonValue v when v.TryGetValue<bool>(out var b):
                Assert.Equal(b, actual);
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                Assert.Equal(s, actual);
                break;
            case JsonValue v:
                Assert.True(actual is long or double, $"{where}: expected a number, found {actual}");
                Assert.Equal(v.GetValue<double>(), Convert.ToDouble(actual));
                break;
        }
    }
}
