namespace DeepVision.Training;

/// <summary>
/// One epoch's figures. Accuracies are fractions (0.987 = 98.7%). The "test" figures are those of the data Fit
/// evaluates on after each epoch (the test set, or a validation set: <see cref="History.EvaluatedOn"/> says which);
/// they are null without such data. Top-5 accuracy is kept only for tasks of more than ten classes (on ten it says
/// little). <see cref="DataShare"/> is the fraction of the training time spent making the batches (indexing, copying,
/// converting and augmenting), the rest being the network's steps.
/// </summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double? TrainAccuracy,
    double? TestLoss,
    double? TestAccuracy,
    double? TestTop5,
    double LearningRate,
    double ExamplesPerSecond,
    TimeSpan Time,
    double? DataShare = null);

/// <summary>A loss seen during training: the running mean of the last batches at a fractional epoch.</summary>
public sealed record BatchLoss(double Epoch, double Loss);

/// <summary>What a training run produced: per-epoch figures, plus the loss every few batches for live curves.</summary>
public sealed class History
{
    /// <summary>One entry per finished epoch.</summary>
    public List<EpochMetrics> Epochs { get; } = [];

    /// <summary>The training loss every <c>logEvery</c> batches.</summary>
    public List<BatchLoss> Batches { get; } = [];

    /// <summary>What the per-epoch evaluation ran on: "test" (default) or "validation" (<see cref="TrainingOptions.EvaluatedOn"/>).</summary>
    public string EvaluatedOn { get; set; } = "test";

    /// <summary>The epoch with the highest evaluation accuracy (the first of equals), or null without evaluation.</summary>
    public EpochMetrics? Best => Epochs.Where(e => e.TestAccuracy is not null).OrderByDescending(e => e.TestAccuracy).ThenBy(e => e.Epoch).FirstOrDefault();

    /// <summary>The number format of the last <see cref="Trainer.Fit"/> run's training steps (<see cref="TrainingOptions.Precision"/>).</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>Whether early stopping ended the run before its last epoch (<see cref="TrainingOptions.Patience"/>).</summary>
    public bool StoppedEarly { get; set; }

    /// <summary>The last epoch, or null before the first one ends.</summary>
    public EpochMetrics? Last => Epochs.Count > 0 ? Epochs[^1] : null;

    /// <summary>Total training time.</summary>
    public TimeSpan TotalTime => Epochs.Aggregate(TimeSpan.Zero, (t, e) => t + e.Time);

    /// <inheritdoc />
    public override string ToString() => Last is { } e ? Format(e, EvaluatedOn) : "no epoch yet";

    /// <summary>"epoch 3: loss 0.123, train acc 96.1%, test loss 0.101, test acc 96.9%, lr 0.1, 1,234 img/s (data 5%), 12.3 s":
    /// images per second of training (the evaluation is not counted), and the share of that time spent making batches.</summary>
    public static string Format(EpochMetrics e, string evaluatedOn = "test") =>
        $"epoch {e.Epoch}: loss {e.TrainLoss:F4}" +
        (e.TrainAccuracy is { } ta ? $", train acc {ta * 100:F1}%" : "") +
        (e.TestLoss is { } tl ? $", {evaluatedOn} loss {tl:F4}" : "") +
        (e.TestAccuracy is { } acc ? $", {evaluatedOn} acc {acc * 100:F1}%" : "") +
        (e.TestTop5 is { } t5 ? $", top-5 {t5 * 100:F1}%" : "") +
        $", lr {e.LearningRate:G3}, {e.ExamplesPerSecond:N0} img/s" + (e.DataShare is { } d ? $" (data {d * 100:F0}%)" : "") +
        $", {e.Time.TotalSeconds:F1} s";
}
