using System.Diagnostics;
using DeepVision.Data;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace DeepVision.Training;

/// <summary>
/// How <see cref="Trainer.Fit"/> trains: the number of epochs and, optionally, the learning-rate schedules, what runs
/// after each epoch, a live chart, and a history to continue. Written <c>new(epochs) { BatchScheduler = … }</c>.
/// </summary>
/// <param name="Epochs">How many epochs to train (0 leaves the model and a continued history as they are).</param>
public sealed record TrainingOptions(int Epochs)
{
    /// <summary>A schedule that steps once after every epoch (StepLR, CosineAnnealingLR, ExponentialLR, …).</summary>
    public optim.lr_scheduler.LRScheduler? EpochScheduler { get; init; }

    /// <summary>A schedule that steps once after every batch (OneCycleLR: its total_steps counts batches).</summary>
    public optim.lr_scheduler.LRScheduler? BatchScheduler { get; init; }

    /// <summary>Every how many batches the running loss is recorded in <see cref="History.Batches"/> (default 50).</summary>
    public int BatchLossEvery { get; init; } = 50;

    /// <summary>Runs after each epoch, with the history so far (for example <c>h =&gt; Console.WriteLine(h)</c>).</summary>
    public Action<History>? OnEpoch { get; init; }

    /// <summary>Draws the history under the progress bar after each epoch (for example <c>h =&gt; LineChart.Accuracy(h, "title")</c>).</summary>
    public Func<History, object>? Live { get; init; }

    /// <summary>A history from an earlier run to continue: new epochs are appended and numbered on.</summary>
    public History? Continue { get; init; }

    /// <summary>Whether a notebook shows the progress bar (default true).</summary>
    public bool ShowProgress { get; init; } = true;

    /// <summary>
    /// What the evaluation data after each epoch is: "test" (default) or "validation". Only names it, in the progress
    /// line, the history and its charts, so that a validation accuracy is never called a test accuracy.
    /// </summary>
    public string EvaluatedOn { get; init; } = "test";

    /// <summary>
    /// Early stopping: stop when the evaluation accuracy has not improved for this many epochs (null: never stop early).
    /// Needs evaluation data.
    /// </summary>
    public int? Patience { get; init; }

    /// <summary>
    /// Where to keep the best model: after every epoch whose evaluation accuracy beats all earlier ones, the weights are
    /// saved to this file (atomically), and at the end of training the model is given those best weights back.
    /// Needs evaluation data.
    /// </summary>
    public string? BestCheckpoint { get; init; }

    /// <summary>
    /// The number format of the training steps: <see cref="Precision.Float32"/> (default) or
    /// <see cref="Precision.MixedBFloat16"/>, about twice as fast where the CPU has bfloat16 instructions
    /// (<see cref="Devices.DeviceInfo.FastBFloat16"/>). Evaluation, checkpoints and the model handed back stay float32.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>
    /// Image batches in channels-last layout (<see cref="MemoryLayout.ChannelsLast"/>) for training and evaluation: on
    /// CPUs convolutional networks train up to about 1.5x as fast, in float32 and in bfloat16 (<c>./build.sh bench precision</c>).
    /// Off by default: a model whose forward calls <c>view()</c> on convolution outputs must use <c>reshape()</c> or
    /// <c>flatten()</c> instead, as in PyTorch.
    /// </summary>
    public bool ChannelsLast { get; init; }

    internal void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "The number of epochs cannot be negative.");
        if (BatchLossEvery <= 0) throw new ArgumentOutOfRangeException(nameof(BatchLossEvery), BatchLossEvery, "Record the loss every 1 or more batches.");
        // One-cycle counts its steps in batches: stepped once per epoch it would barely leave its warm-up.
        if (EpochScheduler?.GetType().Name.Contains("OneCycle", StringComparison.Ordinal) == true)
            throw new ArgumentException("OneCycleLR steps once per batch (its total_steps counts batches): pass it as BatchScheduler, not EpochScheduler.", nameof(EpochScheduler));
        if (EpochScheduler is not null && ReferenceEquals(EpochScheduler, BatchScheduler))
            throw new ArgumentException("The same scheduler cannot step both per epoch and per batch.", nameof(BatchScheduler));
        if (Patience is <= 0) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience counts epochs without improvement: give 1 or more, or null for no early stopping.");
        if (!Enum.IsDefined(Precision)) throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Precision is Precision.Float32 or Precision.MixedBFloat16.");
        if (string.IsNullOrWhiteSpace(EvaluatedOn)) throw new ArgumentException("Name the evaluation data (\"test\" or \"validation\").", nameof(EvaluatedOn));
    }

    internal void ValidateEvaluation(bool hasEvaluationData)
    {
        if (hasEvaluationData) return;
        if (Patience is not null) throw new ArgumentException("Early stopping watches the evaluation accuracy: pass evaluation (validation) data to Fit, or set Patience to null.", nameof(Patience));
        if (BestCheckpoint is not null) throw new ArgumentException("The best checkpoint is chosen by evaluation accuracy: pass evaluation (validation) data to Fit, or set BestCheckpoint to null.", nameof(BestCheckpoint));
    }
}

/// <summary>The figures of one pass over evaluation data. Accuracies are fractions.</summary>
public sealed record EvaluationResult(double Loss, double Accuracy, double Top5, long Examples);

/// <summary>
/// The training and evaluation loops of the course (d2l's train_ch6, in C#). Every batch runs inside a dispose
/// scope, so native memory stays flat however long training runs.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains a classifier for <c>options.Epochs</c> epochs and evaluates it on <paramref name="test"/> (when given: the
    /// test set, or a validation set) after each one; see <see cref="TrainingOptions"/> for schedules, live charts,
    /// early stopping, the best checkpoint and continuing a run. In a
    /// notebook a progress bar updates in place while training runs and ends as one line.
    /// </summary>
    public static History Fit(Module<Tensor, Tensor> model, BatchLoader train, BatchLoader? test, optim.Optimizer optimizer,
        Module<Tensor, Tensor, Tensor> loss, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        options.ValidateEvaluation(test is not null);
        var history = options.Continue ?? new History();
        history.EvaluatedOn = options.EvaluatedOn;
        history.StoppedEarly = false;
        history.Precision = options.Precision;
        var best = history.Best?.TestAccuracy ?? double.NegativeInfinity;
        var epochsWithoutImprovement = 0;
        var savedBest = false;
        var epochs = options.Epochs;
        var firstEpoch = history.Epochs.Count + 1;
        var progress = new TrainingProgress(options.ShowProgress, epochs, train.Count, options.Live);
        for (var epoch = firstEpoch; epoch < firstEpoch + epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            TrainMode(model);
            double lossSum = 0, windowLoss = 0;
            long correct = 0, seen = 0;
            int batch = 0, window = 0;
            // Mixed precision swaps in bfloat16 weights for the epoch's steps and puts the float32 ones back before
            // evaluation, also when a step throws.
            using (var mixed = options.Precision == Precision.MixedBFloat16 ? new MixedPrecision(model) : null)
            foreach (var (x, y) in train)
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                var input = InLayout(x, options.ChannelsLast);
                // The loss is computed from float32 logits: softmax and log over 10 or 1000 classes need the precision.
                var output = mixed is null ? model.forward(input) : model.forward(MixedPrecision.Input(input)).to(ScalarType.Float32);
                var l = loss.forward(output, y);
                l.backward();
                if (mixed is null) optimizer.step();
                else mixed.Step(optimizer);
                options.BatchScheduler?.step();
                // One synchronising read per batch: the loss (and the correct count) as CPU numbers.
                var batchLoss = l.item<float>();
                var n = x.shape[0];
                lossSum += batchLoss * n;
                correct += output.argmax(1).eq(y).sum().item<long>();
                seen += n;
                batch++;
                windowLoss += batchLoss;
                window++;
                progress.Batch(epoch - firstEpoch, batch, n, windowLoss / window);
                if (batch % options.BatchLossEvery == 0)
                {
                    history.Batches.Add(new BatchLoss(epoch - 1 + (double)batch / train.Count, windowLoss / window));
                    windowLoss = 0;
                    window = 0;
                }
            }
            var trainTime = watch.Elapsed;
            var learningRate = optimizer.ParamGroups.First().LearningRate;
            options.EpochScheduler?.step();
            var evaluation = test is null ? null : Evaluate(model, test, loss, options.ChannelsLast);
            history.Epochs.Add(new EpochMetrics(epoch, lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1),
                evaluation?.Loss, evaluation?.Accuracy, evaluation?.Top5, learningRate, seen / trainTime.TotalSeconds, watch.Elapsed));
            progress.Epoch(history, epoch - firstEpoch);
            options.OnEpoch?.Invoke(history);
            if (evaluation is null) continue;
            if (evaluation.Accuracy > best)
            {
                best = evaluation.Accuracy;
                epochsWithoutImprovement = 0;
                if (options.BestCheckpoint is { } path) { Checkpoint.Save(model, path); savedBest = true; }
            }
            else if (options.Patience is { } patience && ++epochsWithoutImprovement >= patience && epoch < firstEpoch + epochs - 1)
            {
                history.StoppedEarly = true;
                break;
            }
        }
        progress.Finish(history, history.Epochs.Count - firstEpoch + 1);
        // The model ends with its best weights, not its last ones.
        if (savedBest && history.Last != history.Best) Checkpoint.Load(model, options.BestCheckpoint!);
        return history;
    }

    /// <summary>Training mode for the model, except the frozen batch normalization layers (see <see cref="KeepFrozenNormalizationInEval"/>).
    /// Every helper that hands a model back in training mode goes through it.</summary>
    internal static void TrainMode(Module model)
    {
        model.train();
        KeepFrozenNormalizationInEval(model);
    }

    /// <summary>
    /// Batch normalization layers whose parameters are all frozen (<see cref="Transfer.Freeze"/>) stay in evaluation
    /// mode while the rest trains: their running mean and variance are part of what was frozen, and in training mode
    /// they would drift towards the new data's statistics.
    /// </summary>
    public static void KeepFrozenNormalizationInEval(Module model)
    {
        foreach (var (_, module) in model.named_modules())
        {
            if (module is not (TorchSharp.Modules.BatchNorm1d or TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm3d)) continue;
            var parameters = module.parameters().ToList();
            if (parameters.Count > 0 && parameters.All(p => !p.requires_grad)) module.eval();
        }
    }

    /// <summary>Loss, top-1 and top-5 accuracy over a dataset, in eval mode without gradients.</summary>
    public static EvaluationResult Evaluate(Module<Tensor, Tensor> model, BatchLoader data, Module<Tensor, Tensor, Tensor>? loss = null) =>
        Evaluate(model, data, loss, channelsLast: false);

    internal static EvaluationResult Evaluate(Module<Tensor, Tensor> model, BatchLoader data, Module<Tensor, Tensor, Tensor>? loss, bool channelsLast)
    {
        var wasTraining = model.training;
        model.eval();
        double lossSum = 0;
        long correct = 0, correct5 = 0, seen = 0;
        using (torch.no_grad())
        {
            foreach (var (x, y) in data)
            {
                using var scope = torch.NewDisposeScope();
                var output = model.forward(InLayout(x, channelsLast));
                var n = x.shape[0];
                if (loss is not null) lossSum += loss.forward(output, y).item<float>() * n;
                correct += output.argmax(1).eq(y).sum().item<long>();
                var k = Math.Min(5, (int)output.shape[1]);
                var top = output.topk(k, dim: 1).indexes;
                correct5 += top.eq(y.unsqueeze(1)).any(1).sum().item<long>();
                seen += n;
            }
        }
        if (wasTraining) TrainMode(model);
        return new EvaluationResult(loss is null ? double.NaN : lossSum / Math.Max(seen, 1),
            (double)correct / Math.Max(seen, 1), (double)correct5 / Math.Max(seen, 1), seen);
    }

    /// <summary>An image batch in channels-last layout when <see cref="TrainingOptions.ChannelsLast"/> asks for it;
    /// other inputs (vectors, sequences) as they are.</summary>
    private static Tensor InLayout(Tensor x, bool channelsLast) => channelsLast && x.dim() == 4 ? MemoryLayout.ChannelsLast(x) : x;

    /// <summary>The model's predicted class for every example, with the true labels, both on the CPU (for confusion matrices).</summary>
    public static (Tensor Predicted, Tensor Actual) Predict(Module<Tensor, Tensor> model, BatchLoader data)
    {
        var wasTraining = model.training;
        model.eval();
        var predicted = new List<Tensor>();
        var actual = new List<Tensor>();
        using (torch.no_grad())
        {
            foreach (var (x, y) in data)
            {
                using var scope = torch.NewDisposeScope();
                predicted.Add(model.forward(x).argmax(1).cpu().MoveToOuterDisposeScope());
                actual.Add(y.cpu().MoveToOuterDisposeScope());
            }
        }
        if (wasTraining) TrainMode(model);
        var p = torch.cat(predicted);
        var a = torch.cat(actual);
        predicted.ForEach(t => t.Dispose());
        actual.ForEach(t => t.Dispose());
        return (p, a);
    }
}
