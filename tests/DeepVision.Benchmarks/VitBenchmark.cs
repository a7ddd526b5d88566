using System.Diagnostics;
using DeepVision.Devices;
using DeepVision.Models;
using DeepVision.Training;
using TorchSharp;
using static DeepVision.Benchmarks.PrecisionBenchmark;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepVision.Benchmarks;

/// <summary>
/// Where the small CIFAR ViT's training step goes (issue 18): the step with and without dropout, in float32 and
/// bfloat16 mixed precision; dropout alone over every activation a step drops, libtorch's nn.Dropout against the
/// helpers' MaskDropout; attention written out against the fused scaled_dot_product_attention; and PyTorch's
/// torchvision ViT of the same size on the same machine. Target: MaskDropout at most 0.6x nn.Dropout's time.
/// </summary>
public static class VitBenchmark
{
    private const int Batch = 128, Tokens = 65, Hidden = 128, Mlp = 256, Layers = 6, Heads = 4, Repeats = 8;

    // The activations one training step of Zoo.vit_cifar() drops: the embedded input, and in every block the attention's
    // output, the MLP's hidden layer and the MLP's output.
    private static readonly long[][] Dropped =
        [.. Enumerable.Repeat(new long[] { Batch, Tokens, Hidden }, 1 + 2 * Layers), .. Enumerable.Repeat(new long[] { Batch, Tokens, Mlp }, Layers)];

    public static int Run()
    {
        var device = DeviceSetup.Setup(seed: 0, prefer: "cpu");
        var threads = torch.get_num_threads();
        var failures = 0;

        Console.WriteLine($"dropout (p = 0.1) over the {Dropped.Length} activations one step drops ({Dropped.Sum(s => s.Aggregate(1L, (a, b) => a * b)) / 1e6:F1} M numbers), forward and backward, ms per step:");
        var dropout = new Dictionary<ScalarType, (double Libtorch, double Mask)>();
        foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            dropout[type] = (DropoutMilliseconds(Dropout(0.1), type), DropoutMilliseconds(new MaskDropout(0.1), type));

        var steps = new Dictionary<string, double>
        {
            ["float32"] = Rate(Vit(0.1), Precision.Float32),
            ["float32_no_dropout"] = Rate(Vit(0.0), Precision.Float32),
            ["bfloat16"] = Rate(Vit(0.1), Precision.MixedBFloat16),
            ["bfloat16_no_dropout"] = Rate(Vit(0.0), Precision.MixedBFloat16),
        };
        var (byHand, fused) = AttentionMilliseconds();

        var theirs = PyTorchSide.Run("vit_pytorch.py", [threads.ToString(), Repeats.ToString(), Batch.ToString()], "vit", out var note);
        string Theirs(string group, string key, string format) =>
            theirs?.GetProperty(group).TryGetProperty(key, out var v) == true ? v.GetDouble().ToString(format) : theirs is null ? "-" : "failed";

        Console.WriteLine($"{"",28} {"nn.Dropout",10} {"MaskDropout",11} {"ratio",6}   {"PyTorch",8}");
        foreach (var (type, (libtorch, mask)) in dropout)
        {
            Console.WriteLine($"{type,-28} {libtorch,10:F1} {mask,11:F1} {mask / libtorch,5:F2}x   {Theirs("dropout_ms", type == ScalarType.Float32 ? "float32" : "bfloat16", "F1"),8}");
            if (type == ScalarType.Float32 && mask > 0.6 * libtorch) failures++;
        }
        Console.WriteLine();
        Console.WriteLine($"training step of Zoo.vit_cifar() (batch {Batch}), images/s   {"ours",8} {"PyTorch",8}   (PyTorch: torchvision's VisionTransformer, nn.Dropout, autocast for bfloat16)");
        foreach (var (name, rate) in steps)
            Console.WriteLine($"{name,-52} {rate,8:F0} {Theirs("steps", name, "F0"),8}");
        foreach (var (precision, type) in new[] { ("float32", ScalarType.Float32), ("bfloat16", ScalarType.BFloat16) })
        {
            var (with, without) = (Batch / steps[precision] * 1000, Batch / steps[precision + "_no_dropout"] * 1000);
            Console.WriteLine($"{precision}: dropout takes {with - without:F0} of the step's {with:F0} ms ({(with - without) / with:P0}) with MaskDropout; " +
                              $"with nn.Dropout it would take about {with - without + dropout[type].Libtorch - dropout[type].Mask:F0} ms");
        }
        Console.WriteLine();
        Console.WriteLine($"attention of one block ([{Batch}, {Heads}, {Tokens}, {Hidden / Heads}] queries, keys, values), forward and backward: " +
                          $"written out (softmax(QKᵀ/√d)V) {byHand:F1} ms, scaled_dot_product_attention {fused:F1} ms ({fused / byHand:F2}x)");
        if (theirs is { } p) Console.WriteLine($"PyTorch {p.GetProperty("torch").GetString()} ({p.GetProperty("threads").GetInt32()} threads; 1.13 has no scaled_dot_product_attention: its ViT uses nn.MultiheadAttention)");
        else Console.WriteLine(note);
        Console.WriteLine("target: MaskDropout ≤ 0.6x nn.Dropout's time in float32");
        return failures;
    }

    private static Case Vit(double dropout) =>
        new($"vit_cifar dropout {dropout}", () => Zoo.vit_cifar(layers: Layers, heads: Heads, hiddenDim: Hidden, mlpDim: Mlp, dropout: dropout), Batch, 32, 10);

    /// <summary>Milliseconds per call of <paramref name="once"/>: one untimed call, then the mean of Repeats.</summary>
    private static double Milliseconds(Action once)
    {
        once();
        var watch = Stopwatch.StartNew();
        for (var r = 0; r < Repeats; r++) once();
        return watch.Elapsed.TotalMilliseconds / Repeats;
    }

    private static double DropoutMilliseconds(Module<Tensor, Tensor> dropout, ScalarType type)
    {
        dropout.train();
        var tensors = Dropped.Select(shape => torch.randn(shape).to_type(type).requires_grad_(true)).ToList();
        var result = Milliseconds(() =>
        {
            foreach (var t in tensors)
            {
                using var scope = torch.NewDisposeScope();
                dropout.call(t).sum().backward();
            }
        });
        tensors.ForEach(t => t.Dispose());
        return result;
    }

    private static (double ByHand, double Fused) AttentionMilliseconds()
    {
        var (q, k, v) = (torch.randn(Batch, Heads, Tokens, Hidden / Heads).requires_grad_(true), torch.randn(Batch, Heads, Tokens, Hidden / Heads).requires_grad_(true),
                         torch.randn(Batch, Heads, Tokens, Hidden / Heads).requires_grad_(true));
        double Time(Func<Tensor> attention) => Milliseconds(() => { using var scope = torch.NewDisposeScope(); attention().sum().backward(); });
        var byHand = Time(() => torch.softmax(q.matmul(k.transpose(-2, -1)) / Math.Sqrt(Hidden / Heads), -1).matmul(v));
        var fused = Time(() => functional.scaled_dot_product_attention(q, k, v));
        return (byHand, fused);
    }
}
