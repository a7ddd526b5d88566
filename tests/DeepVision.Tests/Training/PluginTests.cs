using DeepVision.Data;
using DeepVision.Interpretation;
using DeepVision.Models;
using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

/// <summary>The training loop's plug-ins: the order they run in, the hooks they get, and the ones of the helpers. Runs
/// alone: the weight-averaging test compares same-seed trainings exactly, and a parallel test drawing from libtorch's
/// global generator in between would make them differ.</summary>
[Collection(RunsAloneCollection.Name)]
public class PluginTests
{
    private static ImageDataset MnistSample(int count)
    {
        var train = Datasets.MNIST(train: true, root: RepoPaths.Samples());
        if (count >= train.Count) return train;
        using (train) return train.Take(count);
    }

    /// <summary>Writes down every hook call, with the epoch and batch it came in.</summary>
    private sealed class HookLog : TrainingPlugin
    {
        public List<string> Calls { get; } = [];
        public override void BeforeFit(FitState fit) => Calls.Add("BeforeFit");
        public override void BeforeEpoch(FitState fit) => Calls.Add($"BeforeEpoch {fit.Epoch}");
        public override void BeforeBatch(FitState fit) => Calls.Add($"BeforeBatch {fit.Batch}");
        public override Tensor Input(FitState fit, Tensor images) { Calls.Add("Input"); return images; }
        public override Tensor Output(FitState fit, Tensor output) { Calls.Add("Output"); return output; }
        public override void BeforeStep(FitState fit) => Calls.Add("BeforeStep");
        public override void AfterStep(FitState fit) => Calls.Add("AfterStep");
        public override void AfterBatch(FitState fit) => Calls.Add($"AfterBatch {fit.Batch} {fit.Loss.item<float>() > 0}");
        public override void AfterTraining(FitState fit) => Calls.Add("AfterTraining");
        public override void AfterEpoch(FitState fit) => Calls.Add($"AfterEpoch {fit.Epoch} {fit.History.Epochs.Count} {fit.Evaluation is not null}");
        public override void AfterFit(FitState fit) => Calls.Add("AfterFit");
    }

    [Fact]
    public void One_method_lists_the_plug_ins_in_the_order_they_run()
    {
        var model = TrainerTests.SmallCnn();
        var sgd = optim.SGD(model.parameters(), 0.1);
        var own = new WeightAveraging(0.9);
        var options = new TrainingOptions(2)
        {
            Plugins = [own], ChannelsLast = true, Precision = Precision.MixedBFloat16, BatchScheduler = optim.lr_scheduler.StepLR(sgd, 10),
            EpochScheduler = optim.lr_scheduler.StepLR(sgd, 1), OnEpoch = _ => { }, BestCheckpoint = "best.safetensors", Patience = 2,
        };
        var names = Trainer.Plugins(options).Select(p => p.GetType().Name).ToList();
        Assert.Equal(["Recorder", "WeightAveraging", "ChannelsLastBatches", "MixedPrecisionSteps", "BatchSchedule", "EpochSchedule",
            "TrainingProgress", "EpochCallback", "KeepBestWeights", "EarlyStopping"], names);
        Assert.Same(own, Trainer.Plugins(options)[1]);
        // Nothing asked for, nothing more than the history runs.
        Assert.Equal(["Recorder"], Trainer.Plugins(new TrainingOptions(1) { ShowProgress = false }).Select(p => p.GetType().Name));
    }

    [Fact]
    public void Every_hook_is_called_at_its_point_of_the_loop_and_a_plug_in_can_stop_it()
    {
        torch.manual_seed(0);
        using var data = MnistSample(128);
        var model = TrainerTests.SmallCnn();
        var log = new HookLog();
        var history = Trainer.Fit(model, new BatchLoader(data, 64, torch.CPU), new BatchLoader(data, 128, torch.CPU), optim.SGD(model.parameters(), 0.01),
            CrossEntropyLoss(), new(2) { Plugins = [log], ShowProgress = false });
        string[] Batch(int b) => [$"BeforeBatch {b}", "Input", "Output", "BeforeStep", "AfterStep", $"AfterBatch {b} True"];
        string[] Epoch(int e) => [$"BeforeEpoch {e}", .. Batch(1), .. Batch(2), "AfterTraining", $"AfterEpoch {e} {e} True"];
        Assert.Equal(["BeforeFit", .. Epoch(1), .. Epoch(2), "AfterFit"], log.Calls);
        Assert.Equal(2, history.Epochs.Count);

        // A plug-in that sets Stop after the third batch ends training there: no fourth batch, no second epoch.
        var stopper = new StopAfter(3);
        var stopped = Trainer.Fit(model, new BatchLoader(data, 32, torch.CPU), null, optim.SGD(model.parameters(), 0.01),
            CrossEntropyLoss(), new(5) { Plugins = [stopper], ShowProgress = false });
        Assert.Equal(3, stopper.Batches);
        Assert.Single(stopped.Epochs);
    }

    private sealed class StopAfter(int batches) : TrainingPlugin
    {
        public int Batches { get; private set; }
        public override void AfterBatch(FitState fit) => fit.Stop = ++Batches >= batches;
    }

    [Fact]
    public void Weight_averaging_ends_with_the_average_and_lookahead_pulls_the_model_onto_it()
    {
        using var data = MnistSample(512);
        (Module<Tensor, Tensor> Model, List<Tensor> Start, History History) Train(WeightAveraging? averaging)
        {
            torch.manual_seed(0);
            var model = TrainerTests.SmallCnn();
            var start = model.parameters().Select(p => p.detach().clone()).ToList();
            var history = Trainer.Fit(model, new BatchLoader(data, 64, torch.CPU, shuffle: true), new BatchLoader(data, 256, torch.CPU),
                optim.SGD(model.parameters(), 0.05, momentum: 0.9), CrossEntropyLoss(),
                new(2) { Plugins = averaging is null ? [] : [averaging], ShowProgress = false });
            return (model, start, history);
        }
        bool Same(IEnumerable<Tensor> a, IEnumerable<Tensor> b) => a.Zip(b).All(p => p.First.eq(p.Second).all().item<bool>());

        var plain = Train(null);
        Assert.True(plain.History.Last!.TestAccuracy > 0.6, $"plain SGD reached {plain.History.Last!.TestAccuracy:P1}: too little to compare");
        // decay 0: the average is the weights after every step, so the model ends exactly where plain training does.
        Assert.True(Same(Train(new WeightAveraging(0.0)).Model.parameters(), plain.Model.parameters()));
        // decay 1: the average never moves from the start, and the model is given it at the end.
        var frozenAverage = Train(new WeightAveraging(1.0));
        Assert.True(Same(frozenAverage.Model.parameters(), frozenAverage.Start));
        // decay 1 with lookahead: the model is put back on the (unmoving) average after each step: it cannot learn.
        var stuck = Train(new WeightAveraging(1.0, lookahead: true));
        Assert.True(Same(stuck.Model.parameters(), stuck.Start));
        Assert.True(stuck.History.Last!.TestAccuracy < 0.3, $"a model held at its start reached {stuck.History.Last!.TestAccuracy:P1}");
        // A real average (every 2 steps, decay 0.8, lookahead) learns, if more slowly over these 16 steps (each pull back
        // to the average undoes a fifth of the steps since the last one), and ends elsewhere than plain training.
        var averaged = Train(new WeightAveraging(0.8, every: 2, lookahead: true));
        Assert.False(Same(averaged.Model.parameters(), plain.Model.parameters()));
        Assert.True(averaged.History.Last!.TestAccuracy > 0.5, $"lookahead reached {averaged.History.Last!.TestAccuracy:P1}");
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAveraging(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAveraging(0.9, every: 0));
    }

    /// <summary>A CIFAR model with a frozen batch normalization and a probe after it, in training mode.</summary>
    private static (Module<Tensor, Tensor> Model, InputProbe Probe, Module Frozen, Module<Tensor, Tensor> Conv) FrozenNormalizationModel()
    {
        var probe = new InputProbe();
        var conv = Conv2d(3, 8, 3, padding: 1);
        var bn = BatchNorm2d(8);
        var model = Sequential(("conv", conv), ("bn", bn), ("probe", probe), ("relu", ReLU()), ("pool", AdaptiveAvgPool2d(4)),
            ("flatten", Flatten()), ("fc", Linear(8 * 16, 10)));
        Transfer.Freeze(model, "bn");
        ModelMode.Train(model);
        return (model, probe, bn, conv);
    }

    [Fact]
    public void Every_helper_that_runs_a_model_hands_it_back_in_its_mode_and_computes_as_asked()
    {
        using var cifar = Datasets.CIFAR10(train: false, root: RepoPaths.Samples());
        using var data = cifar.Take(64);
        var loader = new BatchLoader(data, 32, torch.CPU);
        var compute = new ComputeOptions(Precision.MixedBFloat16, ChannelsLast: true);
        var callers = new (string Name, Action<Module<Tensor, Tensor>, Module<Tensor, Tensor>, ComputeOptions?> Run)[]
        {
            ("Evaluate", (m, _, c) => Trainer.Evaluate(m, loader, CrossEntropyLoss(), c)),
            ("Predict", (m, _, c) => { var (p, a) = Trainer.Predict(m, loader, c); p.Dispose(); a.Dispose(); }),
            ("TopLosses", (m, _, c) => TopLosses.Find(m, loader, 3, c)),
            ("GradCam", (m, layer, c) => { var (x, _) = loader.FirstBatch(); GradCam.Compute(m, layer, x, compute: c).Dispose(); }),
            ("LearningRateFinder", (m, _, c) => LearningRateFinder.Run(m, loader, optim.SGD(m.parameters().Where(p => p.requires_grad), 0.1), CrossEntropyLoss(), steps: 4, compute: c)),
            ("ModelSummary", (m, _, _) => ModelSummary.Of(m, [1, 3, 32, 32])),
        };
        foreach (var (name, run) in callers)
        {
            var (model, probe, frozen, conv) = FrozenNormalizationModel();
            run(model, conv, null);
            Assert.True(model.training, $"{name} left a training model in evaluation mode");
            Assert.False(frozen.training, $"{name} put a frozen batch normalization back into training mode");
            Assert.All(probe.Seen, s => Assert.False(s.ChannelsLast || s.Type != ScalarType.Float32, $"{name} by default: {s}"));
            model.eval();
            run(model, conv, null);
            Assert.False(model.training, $"{name} left an evaluation model in training mode");
            if (name == "ModelSummary") continue; // a zero input of a given shape: no compute settings
            ModelMode.Train(model);
            probe.Seen.Clear();
            run(model, conv, compute);
            Assert.NotEmpty(probe.Seen);
            Assert.All(probe.Seen, s => Assert.True(s.ChannelsLast && s.Type == ScalarType.BFloat16, $"{name} with bfloat16 channels-last: {s}"));
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            Assert.False(frozen.training, $"{name} with compute settings put a frozen batch normalization back into training mode");
        }
    }
}
