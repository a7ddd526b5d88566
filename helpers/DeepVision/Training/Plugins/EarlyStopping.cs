namespace DeepVision.Training;

/// <summary><see cref="TrainingOptions.Patience"/>: training ends when the evaluation accuracy has not improved for that many epochs.</summary>
internal sealed class EarlyStopping(int patience) : TrainingPlugin
{
    private double best;
    private int epochsWithoutImprovement;

    public override void BeforeFit(FitState fit) => best = fit.History.Best?.TestAccuracy ?? double.NegativeInfinity;

    public override void AfterEpoch(FitState fit)
    {
        if (fit.Evaluation is not { } evaluation) return;
        if (evaluation.Accuracy > best)
        {
            best = evaluation.Accuracy;
            epochsWithoutImprovement = 0;
        }
        else if (++epochsWithoutImprovement >= patience && fit.EpochsStarted < fit.Options.Epochs)
        {
            fit.History.StoppedEarly = true;
            fit.Stop = true;
        }
    }
}
