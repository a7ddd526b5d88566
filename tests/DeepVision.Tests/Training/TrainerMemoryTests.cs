using System.Diagnostics;
using DeepVision.Data;
using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

/// <summary>Runs alone: the resident memory measured is the whole process's.</summary>
[Collection(RunsAloneCollection.Name)]
public class TrainerMemoryTests
{
    [Theory]
    [InlineData(Precision.Float32)]
    [InlineData(Precision.MixedBFloat16)]
    public void Native_memory_stays_flat_over_many_batches(Precision precision)
    {
        var samples = Path.Combine(RepoPaths.Root, "datasets");
        using var train = Datasets.MNIST(train: true, root: samples);
        var model = TrainerTests.SmallCnn();
        var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        var loader = new BatchLoader(train, 32, torch.CPU, shuffle: true,
            transform: Transforms.Compose(Transforms.RandomCrop(28, padding: 2), Transforms.Normalize(Transforms.MnistMean, Transforms.MnistStd)));
        var loss = CrossEntropyLoss();

        Trainer.Fit(model, loader, new BatchLoader(train, 200, torch.CPU), optimizer, loss, new(2) { Precision = precision }); // warm-up: allocator pools, optimizer state
        GC.Collect();
        var liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var rssBefore = ResidentBytes();
        Trainer.Fit(model, loader, new BatchLoader(train, 200, torch.CPU), optimizer, loss, new(5) { Precision = precision }); // 315 batches + evaluation
        GC.Collect();
        var liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var rssAfter = ResidentBytes();

        Assert.Equal(liveBefore, liveAfter);
        // Leaking the batches alone would add 315 x 32 x 784 x 4 bytes = 32 MB; activations and gradients far more.
        Assert.True(rssAfter - rssBefore < 40_000_000, $"resident memory grew by {(rssAfter - rssBefore) / 1e6:F1} MB over 5 epochs");
    }

    private static long ResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
