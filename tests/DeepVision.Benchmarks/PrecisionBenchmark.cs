using System.Diagnostics;
using System.Text.Json;
using DeepVision.Data;
using DeepVision.Devices;
using DeepVision.Models;
using DeepVision.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepVision.Benchmarks;

/// <summary>
/// Training speed in float32 and in bfloat16 mixed precision (issue 18), side by side with PyTorch's CPU autocast on
/// the same machine, models, batches and threads: images/s of Trainer.Fit's steps, the achieved GFLOP/s against the
/// measured matrix-product peak, and the ratios. Targets: bfloat16 at least 1.7x our float32 on the convolutional
/// models, and at least PyTorch's autocast rate. Without bfloat16 instructions the targets do not apply (bfloat16 is
/// emulated there), and the benchmark says so.
/// </summary>
public static class PrecisionBenchmark
{
    private const int Steps = 20;
    private const int MatrixSize = 2048;

    internal sealed record Case(string Name, Func<Module<Tensor, Tensor>> Make, int Batch, int Size, int Classes);

    // The same four models as precision_pytorch.py: CIFAR-size networks at batch 128, ImageNet ones at 224 px, batch 16.
    internal static readonly Case[] Cases =
    [
        new("cifar_net", () => Zoo.cifar_net(width: 48), 128, 32, 10),
        new("resnet20", () => Zoo.resnet_cifar(20), 128, 32, 10),
        new("mobilenet_v2", () => torchvision.models.mobilenet_v2(), 16, 224, 1000),
        new("resnet18", () => torchvision.models.resnet18(), 16, 224, 1000),
    ];

    public static int Run()
    {
        var device = DeviceSetup.Setup(seed: 0, prefer: "cpu");
        var threads = torch.get_num_threads();
        var peak32 = MatmulGflops(ScalarType.Float32);
        var peak16 = MatmulGflops(ScalarType.BFloat16);
        Console.WriteLine($"matrix product {MatrixSize}²: float32 {peak32:F0} GFLOP/s, bfloat16 {peak16:F0} GFLOP/s ({peak16 / peak32:F2}x), {threads} threads");

        // Both layouts on both sides: the plain N x C x H x W, and channels-last (TrainingOptions.ChannelsLast here,
        // memory_format=torch.channels_last there).
        (string Label, bool ChannelsLast, string Key)[] layouts = [("plain", false, ""), ("channels-last", true, "_channels_last")];
        var ours = new Dictionary<(string, bool), (double Float32, double BFloat16)>();
        var flops = Cases.ToDictionary(c => c.Name, TrainingFlopsPerImage);
        foreach (var c in Cases)
            foreach (var layout in layouts)
                ours[(c.Name, layout.ChannelsLast)] = (Rate(c, Precision.Float32, layout.ChannelsLast), Rate(c, Precision.MixedBFloat16, layout.ChannelsLast));

        var theirs = PyTorch(threads, out var pytorchNote);
        Console.WriteLine();
        Console.WriteLine($"training step, images/s                   {"ours fp32",10} {"ours bf16",10} {"bf16/fp32",9}   {"torch fp32",10} {"autocast",10} {"ours/torch",10}   achieved GFLOP/s (% of the matrix product's rate)");
        var failures = 0;
        foreach (var c in Cases)
        foreach (var layout in layouts)
        {
            var (f32, b16) = ours[(c.Name, layout.ChannelsLast)];
            var speedup = b16 / f32;
            var line = $"{c.Name + $" ({c.Size}px, batch {c.Batch}, {layout.Label})",-41} {f32,10:F0} {b16,10:F0} {speedup,8:F2}x";
            string? theirError = null;
            if (theirs?.GetProperty("models").GetProperty(c.Name) is { } t)
            {
                string Figure(string key) => t.TryGetProperty(key + layout.Key, out var v) ? v.GetDouble().ToString("F0") : "failed";
                line += $"   {Figure("float32"),10} {Figure("bfloat16"),10}";
                if (t.TryGetProperty("bfloat16" + layout.Key, out var t16))
                {
                    line += $" {b16 / t16.GetDouble(),9:F2}x";
                    if (device.FastBFloat16 && b16 < t16.GetDouble()) failures++;
                }
                else line += $" {"-",10}";
                theirError = t.TryGetProperty("bfloat16" + layout.Key + "_error", out var e) ? e.GetString() : t.TryGetProperty("float32" + layout.Key + "_error", out e) ? e.GetString() : null;
            }
            else line += $"   {"-",10} {"-",10} {"-",10}";
            var perImage = flops[c.Name] / 1e9;
            line += $"   {f32 * perImage,5:F0} ({f32 * perImage / peak32:P0}), {b16 * perImage,5:F0} ({b16 * perImage / peak16:P0})";
            Console.WriteLine(line);
            if (theirError is not null) Console.WriteLine($"{"",41} PyTorch failed: {theirError}");
            if (device.FastBFloat16 && speedup < 1.7) failures++;
        }
        if (theirs is { } p)
            Console.WriteLine($"PyTorch {p.GetProperty("torch").GetString()} ({p.GetProperty("threads").GetInt32()} threads): matrix product float32 {p.GetProperty("peak_float32").GetDouble():F0}, " +
                              $"bfloat16 {p.GetProperty("peak_bfloat16").GetDouble():F0} GFLOP/s");
        else Console.WriteLine(pytorchNote);
        Console.WriteLine("achieved GFLOP/s: 6 x the forward multiply-adds per image x images/s, against the 2048² matrix product's rate " +
                          "(not the CPU's peak: oneDNN's convolutions can beat the library's matrix product)");
        Console.WriteLine("targets: bf16 ≥ 1.7x our fp32 on every model and layout, and ≥ 1.0x PyTorch's autocast in the same layout" +
                          (device.FastBFloat16 ? "" : " — not applied: this CPU has no bfloat16 instructions, so bfloat16 is emulated"));
        return failures;
    }

    /// <summary>Images/s of <paramref name="c"/>'s training steps through Trainer.Fit, after two untimed steps.</summary>
    internal static double Rate(Case c, Precision precision, bool channelsLast = false)
    {
        torch.manual_seed(0);
        var model = c.Make();
        var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        using var data = new ImageDataset(c.Name, torch.randint(0, 256, [c.Batch * (Steps + 2), 3, c.Size, c.Size], dtype: ScalarType.Byte),
            torch.randint(0, c.Classes, [c.Batch * (Steps + 2)]), Enumerable.Range(0, c.Classes).Select(i => i.ToString()).ToList());
        // Two untimed steps (allocator, oneDNN's kernel choice), then Steps timed ones, all through Trainer.Fit.
        using var warm = data.Take(c.Batch * 2);
        Trainer.Fit(model, new BatchLoader(warm, c.Batch, CPU), null, optimizer, CrossEntropyLoss(), new(1) { Precision = precision, ChannelsLast = channelsLast, ShowProgress = false });
        using var timed = data.Take(c.Batch * Steps);
        var watch = Stopwatch.StartNew();
        Trainer.Fit(model, new BatchLoader(timed, c.Batch, CPU), null, optimizer, CrossEntropyLoss(), new(1) { Precision = precision, ChannelsLast = channelsLast, ShowProgress = false });
        return c.Batch * Steps / watch.Elapsed.TotalSeconds;
    }

    /// <summary>A training step's floating-point operations per image: forward multiply-adds x 2 (FLOPs) x 3 (forward,
    /// and backward's two products: gradients of the inputs and of the weights).</summary>
    private static double TrainingFlopsPerImage(Case c)
    {
        var model = c.Make();
        double macs = 0;
        var handles = new List<Action>();
        foreach (var (_, module) in model.named_modules())
        {
            if (module is TorchSharp.Modules.Conv2d conv)
            {
                var handle = conv.register_forward_hook((_, _, output) => { macs += (double)output.numel() / output.shape[0] * (conv.weight!.numel() / conv.weight!.shape[0]); return output; });
                handles.Add(() => handle.remove());
            }
            else if (module is TorchSharp.Modules.Linear linear)
            {
                var handle = linear.register_forward_hook((_, _, output) => { macs += linear.weight!.numel(); return output; });
                handles.Add(() => handle.remove());
            }
        }
        model.eval();
        using (torch.no_grad()) model.call(torch.zeros(1, 3, c.Size, c.Size)).Dispose();
        handles.ForEach(remove => remove());
        return 3 * 2 * macs;
    }

    private static double MatmulGflops(ScalarType type)
    {
        using var a = torch.randn(MatrixSize, MatrixSize).to(type);
        using var b = torch.randn(MatrixSize, MatrixSize).to(type);
        a.matmul(b).Dispose();
        var best = Enumerable.Range(0, 3).Select(_ => { var w = Stopwatch.StartNew(); a.matmul(b).Dispose(); return w.Elapsed.TotalSeconds; }).Min();
        return 2.0 * MatrixSize * MatrixSize * MatrixSize / best / 1e9;
    }

    private static JsonElement? PyTorch(int threads, out string note) =>
        PyTorchSide.Run("precision_pytorch.py", [threads.ToString(), Steps.ToString(), MatrixSize.ToString()], "precision", out note);
}
