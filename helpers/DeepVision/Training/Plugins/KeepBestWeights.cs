using DeepVision.Weights;

namespace DeepVision.Training;

/// <summary>
/// <see cref="TrainingOptions.BestCheckpoint"/>: after every epoch whose evaluation accuracy beats all earlier ones the
/// weights are saved as safetensors (atomically, with <see cref="StateDict.Save"/>), and at the end the model is given those best weights back.
/// </summary>
internal sealed class KeepBestWeights(string path) : EvaluationWatch
{
    private bool saved;

    protected override void AfterEvaluation(FitState fit, bool improved)
    {
        if (!improved) return;
        StateDict.Save(fit.Model, path);
        saved = true;
    }

    // The model ends with its best weights, not its last ones.
    public override void AfterFit(FitState fit)
    {
        if (saved && fit.History.Last != fit.History.Best) StateDict.Load(fit.Model, path);
    }
}
