using DeepVision.Data;

namespace DeepVision.Training;

/// <summary>What a <see cref="TrainingPlugin"/> sees of a running <see cref="Trainer.Fit"/>: the model and its data,
/// where the loop is, the current batch and the last evaluation. Plug-ins talk to the loop only through it.</summary>
public sealed class FitState
{
    internal FitState(nn.Module<Tensor, Tensor> model, BatchLoader train, BatchLoader? evaluation, optim.Optimizer optimizer,
        nn.Module<Tensor, Tensor, Tensor> loss, TrainingOptions options)
    {
        (Model, Train, EvaluationData, Optimizer, LossFunction, Options) = (model, train, evaluation, optimizer, loss, options);
        History = options.Continue ?? new History();
        FirstEpoch = History.Epochs.Count + 1;
        Epoch = FirstEpoch - 1;
    }

    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }
    /// <summary>The training batches.</summary>
    public BatchLoader Train { get; }
    /// <summary>The data evaluated after each epoch (validation or test), or null.</summary>
    public BatchLoader? EvaluationData { get; }
    /// <summary>The optimizer.</summary>
    public optim.Optimizer Optimizer { get; }
    /// <summary>The loss function.</summary>
    public nn.Module<Tensor, Tensor, Tensor> LossFunction { get; }
    /// <summary>The options Fit was called with.</summary>
    public TrainingOptions Options { get; }
    /// <summary>The history this run appends to (<see cref="TrainingOptions.Continue"/>, or a new one).</summary>
    public History History { get; }

    /// <summary>The number of this run's first epoch (epochs of a continued history count on).</summary>
    public int FirstEpoch { get; }
    /// <summary>The current epoch's number (1-based, counting on from a continued history).</summary>
    public int Epoch { get; private set; }
    /// <summary>Epochs of this run started so far.</summary>
    public int EpochsStarted => Epoch - FirstEpoch + 1;
    /// <summary>The current batch's number within the epoch (1-based).</summary>
    public int Batch { get; private set; }

    /// <summary>The current batch's images and labels (until its end).</summary>
    public Tensor Images { get; private set; } = null!;
    /// <inheritdoc cref="Images"/>
    public Tensor Labels { get; private set; } = null!;
    /// <summary>The current batch's output (what the loss received) and loss, from <see cref="TrainingPlugin.AfterBatch"/> on.</summary>
    public Tensor Output { get; private set; } = null!;
    /// <inheritdoc cref="Output"/>
    public Tensor Loss { get; private set; } = null!;

    /// <summary>The evaluation after the current epoch, or null without evaluation data.</summary>
    public EvaluationResult? Evaluation { get; internal set; }

    /// <summary>Set by a plug-in to end training (after the current batch, or after the current epoch).</summary>
    public bool Stop { get; set; }

    internal bool WantsAnotherEpoch => !Stop && EpochsStarted < Options.Epochs;

    internal void StartEpoch()
    {
        Epoch++;
        Batch = 0;
        Evaluation = null;
    }

    internal void StartBatch(Tensor images, Tensor labels)
    {
        Batch++;
        (Images, Labels) = (images, labels);
    }

    internal void EndBatch(Tensor output, Tensor loss) => (Output, Loss) = (output, loss);
}
