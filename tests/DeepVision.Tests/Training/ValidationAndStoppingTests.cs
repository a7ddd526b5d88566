using DeepVision.Data;
using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

/// <summary>A validation split, early stopping and the best checkpoint, on the real MNIST sample.</summary>
[Collection(RunsAloneCollection.Name)]
public class ValidationAndStoppingTests
{
    private static ImageDataset MnistSample() => Datasets.MNIST(train: true, root: Path.Combine(RepoPaths.Root, "datasets"));

    [Fact]
    public void A_split_is_disjoint_complete_reproducible_and_named()
    {
        using var data = MnistSample();
        var (train, validation) = data.Split(500, seed: 7);
        using (train)
        using (validation)
        {
            Assert.Equal(data.Count - 500, train.Count);
            Assert.Equal(500, validation.Count);
            Assert.Contains("validation", validation.Name);
            // Every image is in exactly one part: the per-image pixel sums of both parts are the original's, as multisets.
            long[] Sums(Tensor images) => images.to_type(ScalarType.Int64).sum([1, 2, 3]).data<long>().ToArray();
            var both = Sums(train.Images).Concat(Sums(validation.Images)).Order().ToArray();
            Assert.Equal(Sums(data.Images).Order().ToArray(), both);
            Assert.Equal(data.ClassCounts(), train.ClassCounts().Zip(validation.ClassCounts(), (a, b) => a + b).ToArray());
            // Drawn at random, not the first 500: the split is not the head of the file.
            Assert.False(validation.Images.to_type(ScalarType.Float32).allclose(data.Images.narrow(0, 0, 500).to_type(ScalarType.Float32), 0, 0));
            var (_, again) = data.Split(500, seed: 7);
            using (again) Assert.True(validation.Images.to_type(ScalarType.Float32).allclose(again.Images.to_type(ScalarType.Float32), 0, 0));
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(data.Count));
        Assert.Contains("validationCount", error.Message);
        Assert.Contains("MNIST", error.Message);
    }

    [Fact]
    public void Early_stopping_ends_the_run_after_patience_epochs_without_improvement()
    {
        torch.manual_seed(0);
        using var data = MnistSample();
        var (train, validation) = data.Split(400);
        using (train)
        using (validation)
        {
            var model = TrainerTests.SmallCnn();
            // A learning rate of zero: the accuracy of epoch 1 is never beaten.
            var history = Trainer.Fit(model, new BatchLoader(train, 64, torch.CPU), new BatchLoader(validation, 200, torch.CPU),
                optim.SGD(model.parameters(), 0.0), CrossEntropyLoss(), new(10) { Patience = 2, EvaluatedOn = "validation", ShowProgress = false });
            Assert.True(history.StoppedEarly);
            Assert.Equal(3, history.Epochs.Count);
            Assert.Equal("validation", history.EvaluatedOn);
            Assert.Contains("validation acc", history.ToString());
            Assert.DoesNotContain("test", history.ToString());
        }
    }

    [Fact]
    public void The_best_checkpoint_is_saved_and_given_back_when_a_later_epoch_is_worse()
    {
        torch.manual_seed(0);
        using var data = MnistSample();
        var (train, validation) = data.Split(400);
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "best.safetensors");
        using (train)
        using (validation)
        {
            var model = TrainerTests.SmallCnn();
            var optimizer = optim.SGD(model.parameters(), 0.05, momentum: 0.9);
            var validationLoader = new BatchLoader(validation, 200, torch.CPU);
            // After a good first epoch the learning rate jumps to 50: epoch 2 wrecks the weights.
            var history = Trainer.Fit(model, new BatchLoader(train, 64, torch.CPU, shuffle: true), validationLoader, optimizer, CrossEntropyLoss(),
                new(2)
                {
                    BestCheckpoint = path,
                    ShowProgress = false,
                    OnEpoch = h => { foreach (var g in optimizer.ParamGroups) g.LearningRate = 50; },
                });
            Assert.True(File.Exists(path));
            Assert.Equal(1, history.Best!.Epoch);
            Assert.True(history.Epochs[0].TestAccuracy > 0.5, history.Epochs[0].ToString());
            Assert.True(history.Epochs[1].TestAccuracy < history.Epochs[0].TestAccuracy, history.Epochs[1].ToString());
            // The model ends with epoch 1's weights, not the wrecked ones.
            Assert.Equal(history.Epochs[0].TestAccuracy!.Value, Trainer.Evaluate(model, validationLoader).Accuracy, 6);
            Assert.Equal([path], Directory.GetFiles(folder.Path)); // no temporary file left behind
        }
    }

    [Fact]
    public void Stopping_and_checkpoints_without_evaluation_data_are_refused_with_the_fix()
    {
        using var data = MnistSample();
        var model = TrainerTests.SmallCnn();
        var loader = new BatchLoader(data, 64, torch.CPU);
        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(model, loader, null, optim.SGD(model.parameters(), 0.1), CrossEntropyLoss(), new(1) { Patience = 2 }));
        Assert.Contains("pass evaluation (validation) data", error.Message);
        error = Assert.Throws<ArgumentException>(() => Trainer.Fit(model, loader, null, optim.SGD(model.parameters(), 0.1), CrossEntropyLoss(), new(1) { BestCheckpoint = "best.safetensors" }));
        Assert.Contains("BestCheckpoint", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(model, loader, loader, optim.SGD(model.parameters(), 0.1), CrossEntropyLoss(), new(1) { Patience = 0 }));
    }

    [Fact]
    public void The_learning_rate_finder_sees_the_loss_fall_then_explode_and_gives_the_weights_back()
    {
        torch.manual_seed(0);
        using var data = MnistSample();
        var model = TrainerTests.SmallCnn();
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var sweep = LearningRateFinder.Run(model, new BatchLoader(data, 32, torch.CPU, shuffle: true), optim.SGD(model.parameters(), 0.1, momentum: 0.9),
            CrossEntropyLoss(), start: 1e-4, end: 1000, steps: 280);
        // The loss starts near ln 10 (chance), drops well below it, and the sweep stops when it has blown up.
        Assert.InRange(sweep.Losses[0], 2.0, 2.6);
        var curve = $"{sweep}: " + string.Join(" ", sweep.Losses.Select(l => l.ToString("F2")));
        Assert.True(sweep.Losses.Min() < 0.6 * sweep.Losses[0], curve);
        // It rises again after its lowest point, and the sweep stops once the loss has exploded, before its last step,
        // leaving the explosion itself out of the curve.
        Assert.True(sweep.Losses[^1] > 1.5 * sweep.Losses.Min(), curve);
        Assert.True(sweep.LearningRates.Count < 280, curve);
        Assert.True(sweep.Losses.Max() <= 4 * sweep.Losses.Min(), curve);
        Assert.True(sweep.Descended);
        Assert.InRange(sweep.Suggestion!.Value, 1e-3, 1.0);
        Assert.True(sweep.LearningRates.Zip(sweep.LearningRates.Skip(1)).All(p => p.Second > p.First));
        foreach (var (name, tensor) in model.state_dict())
            Assert.True(before[name].to_type(ScalarType.Float64).allclose(tensor.to_type(ScalarType.Float64), 0, 0), $"{name} was not restored");
    }
}
