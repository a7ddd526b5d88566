namespace DeepVision.Training;

/// <summary><see cref="TrainingOptions.OnEpoch"/>: the caller's action after each epoch, with the history so far.</summary>
internal sealed class EpochCallback(Action<History> action) : TrainingPlugin
{
    public override void AfterEpoch(FitState fit) => action(fit.History);
}
