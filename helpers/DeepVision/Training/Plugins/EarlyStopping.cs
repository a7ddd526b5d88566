namespace DeepVision.Training;

/// <summary><see cref="TrainingOptions.Patience"/>: training ends when the evaluation accuracy has not improved for that many epochs.</summary>
internal sealed class EarlyStopping(int patience) : EvaluationWatch
{
    private int epochsWithoutImprovement;

    protected override void AfterEvaluation(FitState fit, bool improved)
    {
        if (improved) { epochsWithoutImprovement = 0; return; }
        if (++epochsWithoutImprovement < patience || fit.EpochsStarted >= fit.Options.Epochs) return;
        fit.History.StoppedEarly = true;
        fit.Stop = true;
    }
}
