namespace DeepVision.Training;

/// <summary>
/// One feature of <see cref="Trainer.Fit"/>'s loop (mixed precision, the history, the progress bar, schedules, early
/// stopping, …), written as fastai writes callbacks: the loop calls each hook of every plug-in at a fixed point, in the
/// order of <see cref="Trainer.Plugins"/>, the one place that lists what runs. Every hook does nothing unless
/// overridden. Pass your own in <see cref="TrainingOptions.Plugins"/>; they run after the history and before every other built-in one.
/// </summary>
public abstract class TrainingPlugin
{
    /// <summary>Once, before the first epoch.</summary>
    public virtual void BeforeFit(FitState fit) { }

    /// <summary>At the start of each epoch, with the model in training mode.</summary>
    public virtual void BeforeEpoch(FitState fit) { }

    /// <summary>Before each batch's forward pass; <see cref="FitState.Images"/> and <see cref="FitState.Labels"/> are set.</summary>
    public virtual void BeforeBatch(FitState fit) { }

    /// <summary>The batch as the model receives it (layout, number format, augmentation); return it or a new tensor.</summary>
    public virtual Tensor Input(FitState fit, Tensor images) => images;

    /// <summary>The model's output as the loss receives it.</summary>
    public virtual Tensor Output(FitState fit, Tensor output) => output;

    /// <summary>After backward, before the optimizer's step.</summary>
    public virtual void BeforeStep(FitState fit) { }

    /// <summary>After the optimizer's step.</summary>
    public virtual void AfterStep(FitState fit) { }

    /// <summary>After each batch; <see cref="FitState.Output"/> and <see cref="FitState.Loss"/> are set. Set
    /// <see cref="FitState.Stop"/> to end training after this batch.</summary>
    public virtual void AfterBatch(FitState fit) { }

    /// <summary>After the epoch's batches, before evaluation; also when a batch threw.</summary>
    public virtual void AfterTraining(FitState fit) { }

    /// <summary>After the epoch's evaluation (<see cref="FitState.Evaluation"/>). Set <see cref="FitState.Stop"/> to end training.</summary>
    public virtual void AfterEpoch(FitState fit) { }

    /// <summary>Once, after the last epoch.</summary>
    public virtual void AfterFit(FitState fit) { }
}
