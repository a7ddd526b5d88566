using System.Text.Json.Nodes;
using DeepVision.Models;
using DeepVision.Weights;

namespace DeepVision.Tests.Models;

/// <summary>
/// The models the notebooks use (TorchVision's, and our ViT-B/16, which TorchVision lacks) against real torchvision:
/// tests/data/torchvision-parity holds, per model, torchvision's
/// state_dict layout (names, shapes, dtypes, per-tensor sums after a closed-form fill) and the logits that
/// PyTorch 1.13 / torchvision 0.14 computed for a fixed input. Our models, filled by the same rule, must match.
/// </summary>
[Collection(ParityCollection.Name)]
public class TorchvisionParityTests
{
    public static TheoryData<string> Models() => new("alexnet", "vgg16", "vgg16_bn", "resnet18", "resnet50", "mobilenet_v2", "vit_b_16");

    private static nn.Module<Tensor, Tensor> Build(string name) => name switch
    {
        "alexnet" => torchvision.models.alexnet(),
        "vgg16" => torchvision.models.vgg16(),
        "vgg16_bn" => torchvision.models.vgg16_bn(),
        "resnet18" => torchvision.models.resnet18(),
        "resnet50" => torchvision.models.resnet50(),
        "mobilenet_v2" => torchvision.models.mobilenet_v2(),
        "vit_b_16" => Zoo.vit_b_16(), // TorchVision has no ViT: the course's own
        _ => throw new ArgumentException(name),
    };

    /// <summary>generate.py's fill rule, computed in float64 and cast to the tensor's dtype.</summary>
    internal static void Fill(string name, Tensor target)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) { target.zero_(); return; }
        long h = 0;
        for (var i = 0; i < name.Length; i++) h += name[i] * (long)(i + 1);
        h %= 1000003;
        var k = torch.arange(target.numel(), dtype: ScalarType.Int64);
        var u = ((k * 7919 + h * 31).remainder(2001) - 1000).to_type(ScalarType.Float64) / 1000.0;
        Tensor v;
        if (name.EndsWith("running_var", StringComparison.Ordinal)) v = 1.0 + (u + 1.0) / 4.0;
        else if (target.dim() == 1 && name.EndsWith("weight", StringComparison.Ordinal)) v = 1.0 + u / 10.0;
        else if (target.dim() == 1) v = u / 100.0;
        else v = u * Math.Sqrt(6.0 / (target.numel() / target.shape[0]));
        target.copy_(v.to_type(target.dtype).reshape(target.shape));
    }

    /// <summary>generate.py's input: [2, 3, 224, 224] stripes and blocks, with (A, B, M) from the fixture.</summary>
    internal static Tensor Input(long a, long b, long m)
    {
        using var scope = torch.NewDisposeScope();
        var n = torch.arange(2, dtype: ScalarType.Int64).view(2, 1, 1, 1);
        var c = torch.arange(3, dtype: ScalarType.Int64).view(1, 3, 1, 1);
        var hh = torch.arange(224, dtype: ScalarType.Int64).view(1, 1, 224, 1);
        var ww = torch.arange(224, dtype: ScalarType.Int64).view(1, 1, 1, 224);
        var raw = (hh * (c + 1) * (n + a) + ww * (3 - c) * (n + 1) + hh.div(16, rounding_mode: RoundingMode.floor) * ww.div(16, rounding_mode: RoundingMode.floor) * b * (n + 1)).remainder(m);
        var x = raw.to_type(ScalarType.Float64) / (m - 1) * 4.0 - 2.0;
        return x.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Layout_and_logits_match_torchvision(string name)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(RepoPaths.TestData("torchvision-parity", $"{name}.json")))!.AsObject();
        using var model = Build(name);
        model.eval();
        var ours = model.state_dict();
        var expected = fixture["state_dict"]!.AsArray().Select(e => e!.AsObject()).ToList();

        // Names: exactly torchvision's, with the same shapes and dtypes.
        Assert.Equal(expected.Select(e => (string)e["name"]!).Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        foreach (var entry in expected)
        {
            var tensorName = (string)entry["name"]!;
            var tensor = ours[tensorName];
            Assert.True(entry["shape"]!.AsArray().Select(d => (long)d!).SequenceEqual(tensor.shape), $"{name}: {tensorName} has shape {tensor.ShapeText()}");
            Assert.Equal((string)entry["dtype"]!, tensor.dtype switch { ScalarType.Float32 => "float32", ScalarType.Int64 => "int64", var d => d.ToString() });
        }

        // The fill rule reproduces torchvision's per-tensor sums.
        foreach (var entry in expected)
        {
            var tensorName = (string)entry["name"]!;
            Fill(tensorName, ours[tensorName]);
            var sum = ours[tensorName].to_type(ScalarType.Float64).sum().item<double>();
            var reference = (double)entry["sum"]!;
            Assert.True(Math.Abs(sum - reference) <= 1e-5 * Math.Max(1.0, Math.Abs(reference)), $"{name}: {tensorName} sums to {sum}, torchvision {reference}");
        }

        AssertLogitsMatch(fixture, model, name);
    }

    /// <summary>Feeds the fixture's input and compares with torchvision's logits: max-abs error over the largest logit ≤ 1e-4.</summary>
    private static void AssertLogitsMatch(JsonObject fixture, nn.Module<Tensor, Tensor> model, string what)
    {
        var inputSpec = fixture["input"]!;
        using var input = Input((long)inputSpec["a"]!, (long)inputSpec["b"]!, (long)inputSpec["m"]!);
        using var noGrad = torch.no_grad();
        using var logits = model.forward(input);
        var rows = fixture["logits"]!.AsArray().Select(row => row!.AsArray().Select(v => (float)(double)v!).ToArray()).ToArray();
        using var reference = torch.tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
        Assert.Equal(reference.shape, logits.shape);
        var error = (logits - reference).abs().max().item<float>() / reference.abs().max().item<float>();
        Assert.True(error <= 1e-4, $"{what}: logits differ from torchvision's by {error:E2} (max-abs error over the largest logit)");
    }

    /// <summary>
    /// A .pth that PyTorch wrote (torchvision's mobilenet_v2 at width 0.5 with 10 classes, 2.9 MB: the full-size file
    /// is 14 MB) loads through our reader into TorchVision's model, name for name, and gives torchvision's logits.
    /// </summary>
    [Fact]
    public void A_pth_written_by_pytorch_loads_into_torchvisions_mobilenet_v2_and_gives_its_logits()
    {
        var fixture = JsonNode.Parse(File.ReadAllText(RepoPaths.TestData("torchvision-parity", "mobilenet_v2_w050_c10.json")))!.AsObject();
        using var model = torchvision.models.mobilenet_v2(num_classes: 10, width_mult: 0.5);
        var report = StateDict.Load(model, RepoPaths.TestData("torchvision-parity", "mobilenet_v2_w050_c10.pth"));
        Assert.True(report.IsComplete, report.ToString());
        Assert.Equal(fixture["state_dict"]!.AsArray().Count, report.Loaded.Count);
        model.eval();
        AssertLogitsMatch(fixture, model, "mobilenet_v2_w050_c10.pth");
    }
}

/// <summary>The parity tests build models of up to 138M parameters: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ParityCollection
{
    public const string Name = "Torchvision parity";
}
