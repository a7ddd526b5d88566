using System.Diagnostics;

namespace DeepVision.Training;

/// <summary>
/// The <see cref="History"/>: per epoch the training loss and accuracy, the evaluation, the learning rate, images per
/// second, the share of time spent making batches and the time; every <see cref="TrainingOptions.BatchLossEvery"/> batches the running loss. Sums are kept on the
/// batches' device and read at those points only, so that a GPU is not made to wait after every batch.
/// </summary>
internal sealed class Recorder : TrainingPlugin
{
    private readonly Stopwatch watch = new();
    private Tensor? lossSum, correct, windowSum;
    private long seen;
    private int window;
    private double lastWindowLoss = double.NaN, learningRate;
    private TimeSpan trainTime, batchTimeAtStart, batchTime;
    private long classes;

    public override void BeforeFit(FitState fit)
    {
        fit.History.EvaluatedOn = fit.Options.EvaluatedOn;
        fit.History.StoppedEarly = false;
        fit.History.Precision = fit.Options.Precision;
    }

    public override void BeforeEpoch(FitState fit)
    {
        watch.Restart();
        batchTimeAtStart = fit.Train.BatchTime;
        seen = 0;
        window = 0;
        using var scope = torch.NewDisposeScope();   // what in-place calls hand back outside the loop's batch scope
        lossSum?.zero_();
        correct?.zero_();
        windowSum?.zero_();
    }

    public override void AfterBatch(FitState fit)
    {
        var n = fit.Images.shape[0];
        if (lossSum is null) Allocate(fit.Loss.device);
        using (torch.no_grad())
        {
            var loss = fit.Loss.detach();
            lossSum!.add_(loss, alpha: n);
            windowSum!.add_(loss);
            correct!.add_(fit.Output.argmax(1).eq(fit.Labels).sum());
        }
        seen += n;
        classes = fit.Output.shape[^1];
        window++;
        if (fit.Batch % fit.Options.BatchLossEvery != 0) return;
        fit.History.Batches.Add(new BatchLoss(fit.Epoch - 1 + (double)fit.Batch / fit.Train.Count, RunningLoss));
        windowSum!.zero_();
        window = 0;
    }

    /// <summary>The mean loss of the batches since the last recorded one (one read from the device).</summary>
    public double RunningLoss => window == 0 || windowSum is null ? lastWindowLoss : lastWindowLoss = windowSum.item<double>() / window;

    public override void AfterTraining(FitState fit)
    {
        // A GPU computes behind the loop: the epoch's time includes the work still queued at its end.
        if (fit.Train.Device.type == DeviceType.CUDA) torch.cuda.synchronize(fit.Train.Device);
        trainTime = watch.Elapsed;
        batchTime = fit.Train.BatchTime - batchTimeAtStart;
        learningRate = fit.Optimizer.ParamGroups.First().LearningRate;
    }

    public override void AfterEpoch(FitState fit)
    {
        var examples = Math.Max(seen, 1);
        var evaluation = fit.Evaluation;
        fit.History.Epochs.Add(new EpochMetrics(fit.Epoch, (lossSum?.item<double>() ?? 0) / examples, (double)(correct?.item<long>() ?? 0) / examples,
            evaluation?.Loss, evaluation?.Accuracy, classes > 10 ? evaluation?.Top5 : null, learningRate, seen / trainTime.TotalSeconds, watch.Elapsed,
            batchTime / trainTime));
    }

    public override void AfterFit(FitState fit)
    {
        foreach (var t in new[] { lossSum, correct, windowSum }) t?.Dispose();
        lossSum = correct = windowSum = null;
    }

    private void Allocate(Device device)
    {
        lossSum = torch.zeros(1, ScalarType.Float64, device).DetachFromDisposeScope();
        windowSum = torch.zeros(1, ScalarType.Float64, device).DetachFromDisposeScope();
        correct = torch.zeros(1, ScalarType.Int64, device).DetachFromDisposeScope();
    }
}
