using DeepVision.Data;
using DeepVision.Training;
using DeepVision.Weights;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

[Collection(RunsAloneCollection.Name)]
public class TrainerTests
{
    internal static Module<Tensor, Tensor> SmallCnn() => Sequential(
        ("conv", Conv2d(1, 8, 5, padding: 2)), ("relu", ReLU()), ("pool", MaxPool2d(2)),
        ("flatten", Flatten()), ("fc", Linear(8 * 14 * 14, 10)));

    [Fact]
    public void Training_on_real_mnist_learns_and_records_history()
    {
        torch.manual_seed(0);
        var samples = Path.Combine(RepoPaths.Root, "datasets");
        using var train = Datasets.MNIST(train: true, root: samples);
        using var test = Datasets.MNIST(train: false, root: samples);
        var model = SmallCnn();
        var optimizer = optim.Adam(model.parameters(), 3e-3);
        var epochsSeen = new List<int>();
        var history = Trainer.Fit(model, new BatchLoader(train, 64, torch.CPU, shuffle: true), new BatchLoader(test, 250, torch.CPU), optimizer, CrossEntropyLoss(),
            new(4) { OnEpoch = h => epochsSeen.Add(h.Last!.Epoch), BatchLossEvery = 10 });
        Assert.Equal([1, 2, 3, 4], epochsSeen);
        Assert.True(history.Epochs[3].TrainLoss < history.Epochs[0].TrainLoss);
        // 2,000 real training digits are enough for a small CNN to pass 85% on 500 real test digits (chance: 10%).
        Assert.True(history.Last!.TestAccuracy > 0.85, history.ToString());
        // Ten classes: top-5 says little there, so the history keeps none (the evaluation itself still computes it).
        Assert.Null(history.Last.TestTop5);
        Assert.DoesNotContain("top-5", history.ToString());
        // The share of each epoch's training time spent making batches, and the images per second it is the share of.
        Assert.All(history.Epochs, e => Assert.InRange(e.DataShare!.Value, 1e-6, 0.99));
        Assert.Matches(@"[\d,]+ img/s \(data \d+%\)", history.ToString());
        Assert.Equal(4 * 3, history.Batches.Count); // 32 batches per epoch, one log every 10
        var evaluation = Trainer.Evaluate(model, new BatchLoader(test, 100, torch.CPU), CrossEntropyLoss());
        Assert.True(evaluation.Top5 >= evaluation.Accuracy);
        Assert.Equal(history.Last.TestAccuracy!.Value, evaluation.Accuracy, 6);
        Assert.Equal(500, evaluation.Examples);
    }

    [Fact]
    public void Training_continues_a_history_and_numbers_its_epochs_on()
    {
        torch.manual_seed(0);
        using var train = Datasets.MNIST(train: true, root: Path.Combine(RepoPaths.Root, "datasets"));
        var loader = new BatchLoader(train, 64, torch.CPU, shuffle: true);
        var model = SmallCnn();
        var optimizer = optim.Adam(model.parameters(), 3e-3);
        var first = Trainer.Fit(model, loader, null, optimizer, CrossEntropyLoss(), new(2) { BatchLossEvery = 10 });
        var epochsSeen = new List<int>();
        var continued = Trainer.Fit(model, loader, null, optimizer, CrossEntropyLoss(),
            new(2) { BatchLossEvery = 10, OnEpoch = h => epochsSeen.Add(h.Last!.Epoch), Continue = first });
        Assert.Same(first, continued);
        Assert.Equal([3, 4], epochsSeen);
        Assert.Equal([1, 2, 3, 4], continued.Epochs.Select(e => e.Epoch));
        // Batch-loss positions go on from epoch 2 too: 3 logs per 32-batch epoch, increasing throughout.
        Assert.Equal(4 * 3, continued.Batches.Count);
        Assert.True(continued.Batches.Zip(continued.Batches.Skip(1)).All(p => p.Second.Epoch > p.First.Epoch));
        Assert.True(continued.Batches[^1].Epoch > 3);
        Assert.True(continued.Epochs[3].TrainLoss < continued.Epochs[0].TrainLoss);
    }

    [Fact]
    public void Schedules_step_per_epoch_or_per_batch_and_one_cycle_per_epoch_is_refused()
    {
        torch.manual_seed(0);
        using var train = Datasets.MNIST(train: true, root: Path.Combine(RepoPaths.Root, "datasets"));
        var subset = new ImageDataset("mnist", train.Images[..640], train.Labels[..640], train.ClassNames);
        var loader = new BatchLoader(subset, 64, torch.CPU, shuffle: true); // 10 batches an epoch
        var model = SmallCnn();

        var sgd = optim.SGD(model.parameters(), 0.1);
        var halving = optim.lr_scheduler.StepLR(sgd, 1, 0.5);
        var history = Trainer.Fit(model, loader, null, sgd, CrossEntropyLoss(), new(3) { EpochScheduler = halving, ShowProgress = false });
        Assert.Equal([0.1, 0.05, 0.025], history.Epochs.Select(e => Math.Round(e.LearningRate, 6)));

        var adam = optim.Adam(model.parameters(), 1e-3);
        var oneCycle = optim.lr_scheduler.OneCycleLR(adam, max_lr: 0.01, total_steps: 2 * loader.Count);
        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(model, loader, null, adam, CrossEntropyLoss(), new(2) { EpochScheduler = oneCycle }));
        Assert.Contains("BatchScheduler", error.Message);
        Trainer.Fit(model, loader, null, adam, CrossEntropyLoss(), new(2) { BatchScheduler = oneCycle, ShowProgress = false });
        // Twenty steps of a twenty-step cycle: back down at the end, far below the peak of 0.01.
        Assert.True(adam.ParamGroups.First().LearningRate < 1e-4, $"learning rate {adam.ParamGroups.First().LearningRate} after the cycle");
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(model, loader, null, adam, CrossEntropyLoss(), new(-1)));
    }

    [Fact]
    public void Frozen_batch_normalization_keeps_its_statistics_while_the_rest_trains()
    {
        torch.manual_seed(0);
        using var train = Datasets.CIFAR10(train: true, root: RepoPaths.Samples());
        var subset = new ImageDataset("cifar", train.Images[..256], train.Labels[..256], train.ClassNames);
        var loader = new BatchLoader(subset, 64, torch.CPU, shuffle: true);
        using var model = DeepVision.Models.Zoo.cifar_net(width: 8);
        Transfer.Freeze(model, "features");
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var optimizer = optim.SGD(model.parameters().Where(p => p.requires_grad), 0.05);
        Trainer.Fit(model, loader, null, optimizer, CrossEntropyLoss(), new(1) { ShowProgress = false });
        var after = model.state_dict();
        var statistics = before.Keys.Where(k => k.StartsWith("features.", StringComparison.Ordinal) && (k.EndsWith("running_mean") || k.EndsWith("running_var") || k.EndsWith("num_batches_tracked"))).ToList();
        Assert.NotEmpty(statistics);
        Assert.All(statistics, k => Assert.True(before[k].IsSame(after[k]), $"{k} changed although its layer is frozen"));
        Assert.False(before["classifier.2.weight"].IsSame(after["classifier.2.weight"]), "the head did not train");
        // Evaluating a training model hands it back with the frozen layers still in evaluation mode.
        model.train();
        Trainer.KeepFrozenNormalizationInEval(model);
        Trainer.Evaluate(model, loader);
        Assert.True(model.training);
        Assert.False(model.named_modules().Single(m => m.name == "features.1").module.training, "Evaluate put a frozen batch normalization back into training mode");

        // Unfrozen, the same layers do update their statistics: the test can fail.
        Transfer.Unfreeze(model);
        Trainer.Fit(model, loader, null, optim.SGD(model.parameters(), 0.05), CrossEntropyLoss(), new(1) { ShowProgress = false });
        Assert.False(before["features.1.running_mean"].IsSame(model.state_dict()["features.1.running_mean"]));
    }

    [Fact]
    public void Weights_saved_by_StateDict_round_trip_atomically_and_the_best_checkpoint_must_be_safetensors()
    {
        var dir = Directory.CreateTempSubdirectory("dv-ckpt").FullName;
        try
        {
            var model = SmallCnn();
            var path = Path.Combine(dir, "model.safetensors");
            StateDict.Save(model, path);
            Assert.Equal([path], Directory.GetFiles(dir));
            var copy = SmallCnn();
            StateDict.Load(copy, path);
            using var x = torch.randn(2, 1, 28, 28);
            using var a = model.forward(x);
            using var b = copy.forward(x);
            Assert.True(a.IsSame(b));
            Assert.Throws<FileNotFoundException>(() => StateDict.Load(copy, Path.Combine(dir, "missing.safetensors")));
            var wrong = Assert.Throws<ArgumentException>(() => new TrainingOptions(1) { BestCheckpoint = Path.Combine(dir, "best.dat") }.Validate());
            Assert.Equal("BestCheckpoint", wrong.ParamName);
            Assert.Contains("*.safetensors", wrong.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
