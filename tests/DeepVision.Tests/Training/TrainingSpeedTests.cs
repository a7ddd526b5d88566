using DeepVision.Data;
using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

// Alone: the measurement seeds libtorch's global generator before building each model, and it times real steps, which
// tests running beside it would slow down unevenly.
[Collection(RunsAloneCollection.Name)]
public class TrainingSpeedTests
{
    private static ImageDataset Digits() => Datasets.MNIST(train: true, root: Path.Combine(RepoPaths.Root, "datasets"));

    /// <summary>A layer that stalls once, at its first forward pass, as a first pass's start-up costs do.</summary>
    private sealed class SlowStart(TimeSpan stall) : Module<Tensor, Tensor>("slow_start")
    {
        private bool _started;

        public override Tensor forward(Tensor input)
        {
            if (!_started) Thread.Sleep(stall);
            _started = true;
            return input.alias();
        }
    }

    [Fact]
    public void The_rate_is_that_of_the_last_pass_over_real_digits_so_a_slow_first_step_does_not_count()
    {
        using var digits = Digits();
        var batches = new BatchLoader(digits.Take(640), 64, torch.CPU, dropLast: true);
        var created = new List<Module<Tensor, Tensor>>();
        Module<Tensor, Tensor> Create()
        {
            var net = Sequential(("slow", new SlowStart(TimeSpan.FromSeconds(2))), ("cnn", TrainerTests.SmallCnn()));
            created.Add(net);
            return net;
        }
        optim.Optimizer Adam(Module<Tensor, Tensor> net)
        {
            Assert.Same(created[^1], net);
            return optim.Adam(net.parameters(), 1e-3);
        }
        var firstPass = TrainingSpeed.ImagesPerSecond(Create, batches, Adam, CrossEntropyLoss(), ComputeOptions.Default, passes: 1);
        var secondPass = TrainingSpeed.ImagesPerSecond(Create, batches, Adam, CrossEntropyLoss(), ComputeOptions.Default, passes: 2);
        Assert.Equal(2, created.Count);
        // The first pass's time holds the 2-second stall; the second pass's does not (each measured with a fresh network).
        var (firstSeconds, secondSeconds) = (640 / firstPass, 640 / secondPass);
        Assert.True(firstSeconds - secondSeconds > 1.5, $"first pass {firstSeconds:F2} s, second pass {secondSeconds:F2} s for 640 digits");
    }

    [Fact]
    public void Layouts_are_measured_in_turn_on_batches_in_each_layout_and_the_best_round_decides()
    {
        // Colour images: a one-channel batch is in both layouts at once.
        using var images = Datasets.CIFAR10(train: true, root: Path.Combine(RepoPaths.Root, "datasets"));
        var batches = new BatchLoader(images.Take(256), 64, torch.CPU, dropLast: true);
        var probes = new List<InputProbe>();
        Module<Tensor, Tensor> Create()
        {
            var probe = new InputProbe();
            probes.Add(probe);
            return Sequential(("probe", probe), ("conv", Conv2d(3, 8, 5, padding: 2)), ("relu", ReLU()), ("pool", MaxPool2d(2)),
                ("flatten", Flatten()), ("fc", Linear(8 * 16 * 16, 10)));
        }
        var speeds = TrainingSpeed.CompareLayouts(Create, batches, net => optim.SGD(net.parameters(), 0.01), CrossEntropyLoss(), Precision.Float32, rounds: 2, passes: 1);
        Assert.Equal(2, speeds.Plain.Count);
        Assert.Equal(2, speeds.ChannelsLast.Count);
        Assert.All(speeds.Plain.Concat(speeds.ChannelsLast), s => Assert.True(s > 0));
        // Plain, channels-last, plain, channels-last: four fresh networks, each trained on 4 batches in its layout.
        Assert.Equal([false, true, false, true], probes.Select(p => p.Seen.Distinct().Single().ChannelsLast));
        Assert.All(probes, p => Assert.Equal(4, p.Seen.Count));
        Assert.Equal(speeds.ChannelsLast.Max() > speeds.Plain.Max(), speeds.ChannelsLastFaster);
        Assert.Equal(new ComputeOptions(Precision.MixedBFloat16, speeds.ChannelsLastFaster), speeds.Faster(Precision.MixedBFloat16));
        Assert.EndsWith($"the training uses the {(speeds.ChannelsLastFaster ? "channels-last" : "plain")} layout", speeds.ToString());
        Assert.Matches(@"^training images/s, plain layout: \d+, \d+; channels-last: \d+, \d+: ", speeds.ToString());
    }

    [Fact]
    public void Bad_arguments_say_which_and_how_to_fix_them()
    {
        using var digits = Digits();
        Module<Tensor, Tensor> Create() => TrainerTests.SmallCnn();
        optim.Optimizer Sgd(Module<Tensor, Tensor> net) => optim.SGD(net.parameters(), 0.01);
        var batches = new BatchLoader(digits.Take(64), 64, torch.CPU, dropLast: true);
        var passes = Assert.Throws<ArgumentOutOfRangeException>(() => TrainingSpeed.ImagesPerSecond(Create, batches, Sgd, CrossEntropyLoss(), ComputeOptions.Default, passes: 0));
        Assert.Equal("passes", passes.ParamName);
        var rounds = Assert.Throws<ArgumentOutOfRangeException>(() => TrainingSpeed.CompareLayouts(Create, batches, Sgd, CrossEntropyLoss(), Precision.Float32, rounds: 0));
        Assert.Equal("rounds", rounds.ParamName);
        var tooFew = new BatchLoader(digits.Take(63), 64, torch.CPU, dropLast: true);
        var empty = Assert.Throws<ArgumentException>(() => TrainingSpeed.ImagesPerSecond(Create, tooFew, Sgd, CrossEntropyLoss(), ComputeOptions.Default));
        Assert.Equal("batches", empty.ParamName);
        Assert.Contains("63 images in batches of 64 with dropLast", empty.Message);
    }
}
