using DeepVision.Data;
using static TorchSharp.torch.nn;

namespace DeepVision.Training;

/// <summary>
/// The training and evaluation loops of the course (d2l's train_ch6, in C#). Every batch runs inside a dispose
/// scope, so native memory stays flat however long training runs. Everything beyond the loop itself is a
/// <see cref="TrainingPlugin"/>, listed in order by <see cref="Plugins"/>.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains a classifier for <c>options.Epochs</c> epochs and evaluates it on <paramref name="test"/> (when given: the
    /// test set, or a validation set) after each one; see <see cref="TrainingOptions"/> for schedules, live charts,
    /// early stopping, the best checkpoint, mixed precision and continuing a run. In a notebook a progress bar updates
    /// in place while training runs and ends as one line.
    /// </summary>
    public static History Fit(Module<Tensor, Tensor> model, BatchLoader train, BatchLoader? test, optim.Optimizer optimizer,
        Module<Tensor, Tensor, Tensor> loss, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        options.ValidateEvaluation(test is not null);
        // Where this CPU's oneDNN computes wrong convolutions, switched off before the first one (DeviceSetup does it too).
        Devices.OneDnnConvolutions.EnsureCheckedAndSaid();
        var fit = new FitState(model, train, test, optimizer, loss, options);
        var plugins = Plugins(options);
        void Each(Action<TrainingPlugin> hook) { foreach (var plugin in plugins) hook(plugin); }

        Each(p => p.BeforeFit(fit));
        while (fit.WantsAnotherEpoch)
        {
            fit.StartEpoch();
            ModelMode.Train(model);
            try
            {
                Each(p => p.BeforeEpoch(fit));
                foreach (var (x, y) in train)
                {
                    using var scope = torch.NewDisposeScope();
                    fit.StartBatch(x, y);
                    Each(p => p.BeforeBatch(fit));
                    optimizer.zero_grad();
                    var input = plugins.Aggregate(x, (t, p) => p.Input(fit, t));
                    var output = plugins.Aggregate(model.forward(input), (t, p) => p.Output(fit, t));
                    var l = loss.forward(output, y);
                    l.backward();
                    Each(p => p.BeforeStep(fit));
                    optimizer.step();
                    Each(p => p.AfterStep(fit));
                    fit.EndBatch(output, l);
                    Each(p => p.AfterBatch(fit));
                    if (fit.Stop) break;
                }
            }
            finally
            {
                Each(p => p.AfterTraining(fit));
            }
            fit.Evaluation = test is null ? null : Evaluate(model, test, loss, options.Compute);
            Each(p => p.AfterEpoch(fit));
        }
        Each(p => p.AfterFit(fit));
        return fit.History;
    }

    /// <summary>
    /// The plug-ins a run of <see cref="Fit"/> with these options calls, in the order they run at every hook: the
    /// history, the caller's own (which so see each epoch's entry and the batch before its conversion), the batch's
    /// layout and number format, the schedules, the progress bar, the caller's per-epoch action, the best checkpoint and
    /// early stopping. This is the whole flow of control beyond the loop.
    /// </summary>
    public static IReadOnlyList<TrainingPlugin> Plugins(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var recorder = new Recorder();
        var plugins = new List<TrainingPlugin> { recorder };
        plugins.AddRange(options.Plugins);
        if (options.ChannelsLast) plugins.Add(new ChannelsLastBatches());
        if (options.Precision == Precision.MixedBFloat16) plugins.Add(new MixedPrecisionSteps());
        if (options.BatchScheduler is { } perBatch) plugins.Add(new BatchSchedule(perBatch));
        if (options.EpochScheduler is { } perEpoch) plugins.Add(new EpochSchedule(perEpoch));
        if (options.ShowProgress) plugins.Add(new TrainingProgress(recorder));
        if (options.OnEpoch is { } onEpoch) plugins.Add(new EpochCallback(onEpoch));
        if (options.BestCheckpoint is { } path) plugins.Add(new KeepBestWeights(path));
        if (options.Patience is { } patience) plugins.Add(new EarlyStopping(patience));
        return plugins;
    }

    /// <summary>Puts the batch normalization layers whose parameters are all frozen into evaluation mode (<see cref="ModelMode.KeepFrozenNormalizationInEval"/>).</summary>
    public static void KeepFrozenNormalizationInEval(Module model) => ModelMode.KeepFrozenNormalizationInEval(model);

    /// <summary>
    /// Loss, top-1 and top-5 accuracy over a dataset, in evaluation mode without gradients, computed as
    /// <paramref name="compute"/> says (a training run's <see cref="TrainingOptions.Compute"/>; default float32).
    /// </summary>
    public static EvaluationResult Evaluate(Module<Tensor, Tensor> model, BatchLoader data, Module<Tensor, Tensor, Tensor>? loss = null,
        ComputeOptions? compute = null)
    {
        double lossSum = 0;
        long correct = 0, correct5 = 0, seen = 0;
        using (var run = (compute ?? ComputeOptions.Default).Evaluating(model))
        using (torch.no_grad())
        {
            foreach (var (x, y) in data)
            {
                using var scope = torch.NewDisposeScope();
                var output = run.Forward(x);
                var n = x.shape[0];
                if (loss is not null) lossSum += loss.forward(output, y).item<float>() * n;
                correct += output.argmax(1).eq(y).sum().item<long>();
                var k = Math.Min(5, (int)output.shape[1]);
                var top = output.topk(k, dim: 1).indexes;
                correct5 += top.eq(y.unsqueeze(1)).any(1).sum().item<long>();
                seen += n;
            }
        }
        return new EvaluationResult(loss is null ? double.NaN : lossSum / Math.Max(seen, 1),
            (double)correct / Math.Max(seen, 1), (double)correct5 / Math.Max(seen, 1), seen);
    }

    /// <summary>The model's predicted class for every example, with the true labels, both on the CPU (for confusion matrices).</summary>
    public static (Tensor Predicted, Tensor Actual) Predict(Module<Tensor, Tensor> model, BatchLoader data, ComputeOptions? compute = null)
    {
        var predicted = new List<Tensor>();
        var actual = new List<Tensor>();
        using (var run = (compute ?? ComputeOptions.Default).Evaluating(model))
        using (torch.no_grad())
        {
            foreach (var (x, y) in data)
            {
                using var scope = torch.NewDisposeScope();
                predicted.Add(run.Forward(x).argmax(1).cpu().MoveToOuterDisposeScope());
                actual.Add(y.cpu().MoveToOuterDisposeScope());
            }
        }
        var p = torch.cat(predicted);
        var a = torch.cat(actual);
        predicted.ForEach(t => t.Dispose());
        actual.ForEach(t => t.Dispose());
        return (p, a);
    }
}
