using DeepVision.Data;
using static TorchSharp.torch.nn;

namespace DeepVision.Training;

/// <summary>
/// How many images a second a network trains at on this machine, measured on real training steps
/// (<see cref="Trainer.Fit"/> over a few batches of the real data): what the notebooks use to choose a memory layout
/// (notebook 13) and to compare networks at equal training time.
/// </summary>
public static class TrainingSpeed
{
    /// <summary>
    /// Trains a fresh network from <paramref name="createModel"/> (created after seeding libtorch with
    /// <paramref name="seed"/>, moved to the batches' device) for <paramref name="passes"/> passes over
    /// <paramref name="batches"/>, computing as <paramref name="compute"/> says, and returns the images per second of
    /// the last pass: the first one also pays for allocating memory and for oneDNN's first choice of kernels. The
    /// network and its optimizer are disposed afterwards; nothing is evaluated.
    /// </summary>
    public static double ImagesPerSecond(Func<Module<Tensor, Tensor>> createModel, BatchLoader batches,
        Func<Module<Tensor, Tensor>, optim.Optimizer> createOptimizer, Module<Tensor, Tensor, Tensor> loss, ComputeOptions compute,
        int passes = 2, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(createOptimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(compute);
        if (passes < 1) throw new ArgumentOutOfRangeException(nameof(passes), passes, "passes is how many times the batches are trained on, at least 1 (2 leaves out the first pass's start-up costs).");
        if (batches.Count == 0)
            throw new ArgumentException($"the batches are empty: {batches.Dataset.Count} images in batches of {batches.BatchSize}{(batches.DropLast ? " with dropLast" : "")}; give at least one whole batch (e.g. data.Take(10 * batchSize)).", nameof(batches));
        torch.manual_seed(seed);
        using var model = createModel().to(batches.Device);
        using var optimizer = createOptimizer(model);
        var run = Trainer.Fit(model, batches, null, optimizer, loss,
            new(passes) { Precision = compute.Precision, ChannelsLast = compute.ChannelsLast, ShowProgress = false });
        return run.Last!.ExamplesPerSecond;
    }

    /// <summary>
    /// Measures <see cref="ImagesPerSecond"/> in the plain and the channels-last layout, alternating,
    /// <paramref name="rounds"/> times each (a second round shows how much the figures move), in
    /// <paramref name="precision"/>; <see cref="LayoutSpeeds.ChannelsLastFaster"/> compares the best rounds.
    /// </summary>
    public static LayoutSpeeds CompareLayouts(Func<Module<Tensor, Tensor>> createModel, BatchLoader batches,
        Func<Module<Tensor, Tensor>, optim.Optimizer> createOptimizer, Module<Tensor, Tensor, Tensor> loss, Precision precision,
        int rounds = 2, int passes = 2)
    {
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "rounds is how many times each layout is measured, at least 1.");
        var plain = new List<double>();
        var channelsLast = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            plain.Add(ImagesPerSecond(createModel, batches, createOptimizer, loss, new ComputeOptions(precision, false), passes));
            channelsLast.Add(ImagesPerSecond(createModel, batches, createOptimizer, loss, new ComputeOptions(precision, true), passes));
        }
        return new LayoutSpeeds(plain, channelsLast);
    }
}
