namespace DeepVision.Training;

/// <summary>A plug-in that acts, after each epoch's evaluation, on whether its accuracy beat every earlier one (those of a continued history too).</summary>
internal abstract class EvaluationWatch : TrainingPlugin
{
    private double best;

    public override void BeforeFit(FitState fit) => best = fit.History.Best?.TestAccuracy ?? double.NegativeInfinity;

    public override void AfterEpoch(FitState fit)
    {
        if (fit.Evaluation is not { } evaluation) return;
        var improved = evaluation.Accuracy > best;
        if (improved) best = evaluation.Accuracy;
        AfterEvaluation(fit, improved);
    }

    /// <summary>After an epoch with evaluation data: <paramref name="improved"/> when it set a new best accuracy.</summary>
    protected abstract void AfterEvaluation(FitState fit, bool improved);
}
