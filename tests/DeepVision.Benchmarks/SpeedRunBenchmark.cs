using System.Diagnostics;
using System.Text.Json;
using DeepVision.Data;
using DeepVision.Devices;
using DeepVision.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepVision.Benchmarks;

/// <summary>
/// Issue 28's comparison: one training epoch of notebook 14's speed run (its network, batches of 1,024, alternating
/// flips, 2-pixel translations, label smoothing, Nesterov SGD with the biases' group, lookahead every 5 steps,
/// bfloat16 and channels-last) through our helpers and through PyTorch's CPU autocast, same threads, each in a fresh
/// process, the two sides alternating. Target: ours at least as fast (ratio of the medians ≥ 1.0).
/// </summary>
public static class SpeedRunBenchmark
{
    private const int Images = 50_000, Batch = 1024, Rounds = 3;

    public static int Run()
    {
        var threads = torch.get_num_threads();
        Console.WriteLine($"one epoch of {Images:N0} random 32 px images in batches of {Batch} ({Images / Batch} steps after 2 untimed), {threads} threads, {Rounds} rounds alternating fresh processes");
        var ours = new List<double>();
        var theirs = new List<double>();
        string? note = null;
        for (var round = 1; round <= Rounds; round++)
        {
            var our = Fresh(threads);
            ours.Add(our);
            var their = PyTorchSide.Run("speedrun_pytorch.py", [threads.ToString(), Images.ToString(), Batch.ToString()], "speedrun", out var why);
            if (their is { } t) theirs.Add(t.GetProperty("images_per_second").GetDouble());
            else note = why;
            Console.WriteLine($"round {round}: ours {our,6:F0} images/s" + (their is { } p ? $", PyTorch {p.GetProperty("torch").GetString()} autocast {p.GetProperty("images_per_second").GetDouble(),6:F0} images/s" : ""));
            if (their is null) break;
        }
        var ourMedian = Median(ours);
        Console.WriteLine($"median: ours {ourMedian:F0} images/s ({Images / ourMedian:F1} s per epoch)");
        if (theirs.Count == 0)
        {
            Console.WriteLine(note);
            Console.WriteLine("target: ours ≥ 1.0x PyTorch's autocast — not checked: PyTorch's side did not run");
            return 0;
        }
        var ratio = ourMedian / Median(theirs);
        Console.WriteLine($"median: PyTorch {Median(theirs):F0} images/s; ours/PyTorch {ratio:F2}x");
        Console.WriteLine("target: ours ≥ 1.0x PyTorch's CPU autocast on the same epoch");
        return ratio >= 1.0 ? 0 : 1;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>Our side in a fresh process of this harness (`speedrun-ours`), which prints one JSON object.</summary>
    private static double Fresh(int threads)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, [typeof(SpeedRunBenchmark).Assembly.Location, "speedrun-ours", threads.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"our side of the speed-run benchmark failed: {stderr}");
        var json = stdout.Result.Split('\n').Last(l => l.StartsWith('{'));
        return JsonDocument.Parse(json).RootElement.GetProperty("images_per_second").GetDouble();
    }

    /// <summary>The timed epoch, in this process: prints {"images_per_second": …}.</summary>
    public static int OurSide(int threads)
    {
        var precision = DeviceSetup.Setup(seed: 0, prefer: "cpu").FastBFloat16 ? Precision.MixedBFloat16 : Precision.Float32;
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        using var data = new ImageDataset("random", torch.randint(0, 256, [Images, 3, 32, 32], dtype: ScalarType.Byte),
            torch.randint(0, 10, [Images]), Enumerable.Range(0, 10).Select(i => i.ToString()).ToList());
        var model = new SpeedRunNet();
        var normalize = Transforms.Normalize(Transforms.Cifar10Mean, Transforms.Cifar10Std);
        var named = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var (rate, decay) = (1.5, 0.002);
        var optimizer = optim.SGD([
            new TorchSharp.Modules.SGD.ParamGroup(named.Where(p => !p.name.Contains("norm")).Select(p => p.parameter), rate, 0.85, 0, decay / rate, true, false),
            new TorchSharp.Modules.SGD.ParamGroup(named.Where(p => p.name.Contains("norm")).Select(p => p.parameter), 64 * rate, 0.85, 0, decay / (64 * rate), true, false),
        ], rate, 0.85, 0, decay / rate, true);
        TrainingOptions Options(int epochs) => new(epochs)
        {
            Precision = precision, ChannelsLast = true, ShowProgress = false,
            Plugins = [new WeightAveraging(0.77, every: 5, lookahead: true)],
        };
        BatchLoader Loader(ImageDataset images) => new(images, Batch, CPU, shuffle: true, dropLast: true,
            transform: Transforms.Compose(normalize, BatchAugment.RandomTranslate(2, seed: 1)), epochAugment: BatchAugment.AlternatingFlip(seed: 2));
        var loss = new LabelSmoothingCrossEntropy(0.2);
        using var warm = data.Take(2 * Batch);
        Trainer.Fit(model, Loader(warm), null, optimizer, loss, Options(1));
        var watch = Stopwatch.StartNew();
        Trainer.Fit(model, Loader(data), null, optimizer, loss, Options(1));
        Console.WriteLine(JsonSerializer.Serialize(new { images_per_second = Images / Batch * Batch / watch.Elapsed.TotalSeconds, precision = precision.ToString() }));
        return 0;
    }
}
