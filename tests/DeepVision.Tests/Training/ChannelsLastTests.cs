using DeepVision.Data;
using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

// Alone: the layout comparison seeds libtorch's global generator before building each model, and a test running beside
// it that draws from (or reseeds) the same generator would give the runs different starting weights.
[Collection(RunsAloneCollection.Name)]
public class ChannelsLastTests
{
    [Fact]
    public void Channels_last_keeps_shape_and_values_and_only_changes_the_strides()
    {
        var x = torch.randn(2, 3, 4, 5);
        Assert.False(MemoryLayout.IsChannelsLast(x));
        var y = MemoryLayout.ChannelsLast(x);
        Assert.True(MemoryLayout.IsChannelsLast(y));
        Assert.Equal(x.shape, y.shape);
        Assert.Equal([60L, 1, 15, 3], y.stride());
        Assert.True(x.eq(y).all().item<bool>());
        Assert.Same(y, MemoryLayout.ChannelsLast(y));
        var e = Assert.Throws<ArgumentException>(() => MemoryLayout.ChannelsLast(torch.randn(3, 4, 5)));
        Assert.Contains("[3, 4, 5]", e.Message);
    }

    [Fact]
    public void The_layout_carries_through_convolution_normalization_relu_and_pooling_with_the_same_outputs()
    {
        torch.manual_seed(0);
        var features = Sequential(("conv", Conv2d(3, 16, 3, padding: 1)), ("bn", BatchNorm2d(16)), ("relu", ReLU()), ("pool", MaxPool2d(2)));
        var x = torch.randn(4, 3, 16, 16);
        var plain = features.call(x);
        var channelsLast = features.call(MemoryLayout.ChannelsLast(x));
        Assert.False(MemoryLayout.IsChannelsLast(plain));
        Assert.True(MemoryLayout.IsChannelsLast(channelsLast));
        Assert.True(plain.allclose(channelsLast, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Fit_trains_real_cifar10_in_channels_last_as_well_as_in_the_plain_layout_in_both_precisions()
    {
        var samples = Path.Combine(RepoPaths.Root, "datasets");
        using var train = Datasets.CIFAR10(train: true, root: samples);
        using var test = Datasets.CIFAR10(train: false, root: samples);
        var results = new List<(bool ChannelsLast, Precision Precision, History History)>();
        foreach (var (channelsLast, precision) in new[] { (false, Precision.Float32), (true, Precision.Float32), (true, Precision.MixedBFloat16) })
        {
            torch.manual_seed(0);
            var probe = new InputProbe();
            var model = Sequential(
                ("conv1", Conv2d(3, 16, 3, padding: 1)), ("bn1", BatchNorm2d(16)), ("probe", probe), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),
                ("conv2", Conv2d(16, 32, 3, padding: 1)), ("bn2", BatchNorm2d(32)), ("relu2", ReLU()), ("pool2", MaxPool2d(2)),
                ("flatten", Flatten()), ("fc", Linear(32 * 8 * 8, 10)));
            var history = Trainer.Fit(model, new BatchLoader(train, 50, torch.CPU, shuffle: true), new BatchLoader(test, 250, torch.CPU),
                optim.Adam(model.parameters(), 2e-3), CrossEntropyLoss(), new(3) { ChannelsLast = channelsLast, Precision = precision, ShowProgress = false });
            results.Add((channelsLast, precision, history));

            // The layout reaches the network in training and in evaluation, and stays through the convolution.
            Assert.All(probe.Seen, s => Assert.Equal(channelsLast, s.ChannelsLast));
            Assert.Contains(probe.Seen, s => !s.Training);
            var trainingType = precision == Precision.MixedBFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
            Assert.All(probe.Seen.Where(s => s.Training), s => Assert.Equal(trainingType, s.Type));
        }
        var reference = results[0].History;
        Assert.True(reference.Last!.TestAccuracy > 0.3, $"the plain-layout run reached {reference.Last!.TestAccuracy:P1}: too little to compare against");
        foreach (var (channelsLast, precision, history) in results.Skip(1))
        {
            // The same arithmetic in another order: the first epoch's loss agrees closely, the end result within noise.
            Assert.InRange(history.Epochs[0].TrainLoss - reference.Epochs[0].TrainLoss, -0.05, 0.05);
            Assert.InRange(history.Last!.TestAccuracy!.Value - reference.Last!.TestAccuracy!.Value, -0.05, 0.05);
        }
    }
}
