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
    /// saved to this safetensors file (atomically, as <see cref="Weights.StateDict.Save"/> saves any weights), and at the
    /// end of training the model is given those best weights back. Needs evaluation data.
    /// </summary>
    public string? BestCheckpoint { get; init; }

    /// <summary>
    /// The number format of the training steps: <see cref="Precision.Float32"/> (default) or
    /// <see cref="Precision.MixedBFloat16"/>, about twice as fast where the CPU has bfloat16 instructions
    /// (<see cref="Devices.DeviceInfo.FastBFloat16"/>). The evaluation after each epoch computes in the same format;
    /// checkpoints and the model handed back stay float32.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>
    /// Image batches in channels-last layout (<see cref="MemoryLayout.ChannelsLast"/>) for training and evaluation: on
    /// CPUs convolutional networks train up to about 1.5x as fast, in float32 and in bfloat16 (<c>./build.sh bench precision</c>).
    /// Off by default: a model whose forward calls <c>view()</c> on convolution outputs must use <c>reshape()</c> or
    /// <c>flatten()</c> instead, as in PyTorch.
    /// </summary>
    public bool ChannelsLast { get; init; }

    /// <summary>
    /// Your own plug-ins of the loop (for example <see cref="WeightAveraging"/>), run after the history and before the
    /// other built-in ones, in the order given (<see cref="Trainer.Plugins"/> lists the whole order).
    /// </summary>
    public IReadOnlyList<TrainingPlugin> Plugins { get; init; } = [];

    /// <summary>The number format and layout of this run (<see cref="Precision"/>, <see cref="ChannelsLast"/>), for
    /// evaluating the trained model the same way.</summary>
    public ComputeOptions Compute => new(Precision, ChannelsLast);

    internal void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "The number of epochs cannot be negative.");
        if (BatchLossEvery <= 0) throw new ArgumentOutOfRangeException(nameof(BatchLossEvery), BatchLossEvery, "Record the loss every 1 or more batches.");
        // One-cycle counts its steps in batches: stepped once per epoch it would barely leave its warm-up.
        if (EpochScheduler is optim.lr_scheduler.impl.OneCycleLR)
            throw new ArgumentException("OneCycleLR steps once per batch (its total_steps counts batches): pass it as BatchScheduler, not EpochScheduler.", nameof(EpochScheduler));
        if (EpochScheduler is not null && ReferenceEquals(EpochScheduler, BatchScheduler))
            throw new ArgumentException("The same scheduler cannot step both per epoch and per batch.", nameof(BatchScheduler));
        if (BestCheckpoint is not null && !BestCheckpoint.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The best checkpoint is saved as safetensors: name the file *.safetensors, not '{BestCheckpoint}'.", nameof(BestCheckpoint));
        if (Patience is <= 0) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience counts epochs without improvement: give 1 or more, or null for no early stopping.");
        Compute.Validate();
        if (Plugins is null || Plugins.Any(p => p is null)) throw new ArgumentException("Plugins holds the plug-ins to run: no null entries.", nameof(Plugins));
        if (string.IsNullOrWhiteSpace(EvaluatedOn)) throw new ArgumentException("Name the evaluation data (\"test\" or \"validation\").", nameof(EvaluatedOn));
    }

    internal void ValidateEvaluation(bool hasEvaluationData)
    {
        if (hasEvaluationData) return;
        if (Patience is not null) throw new ArgumentException("Early stopping watches the evaluation accuracy: pass evaluation (validation) data to Fit, or set Patience to null.", nameof(Patience));
        if (BestCheckpoint is not null) throw new ArgumentException("The best checkpoint is chosen by evaluation accuracy: pass evaluation (validation) data to Fit, or set BestCheckpoint to null.", nameof(BestCheckpoint));
    }
}
