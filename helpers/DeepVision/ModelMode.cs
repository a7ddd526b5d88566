using TorchSharp.Modules;
using Module = TorchSharp.torch.nn.Module;

namespace DeepVision;

/// <summary>
/// The one rule for switching a model between training and evaluation, used by every helper that runs a model
/// (training, evaluation, prediction, top losses, Grad-CAM, the learning-rate finder, the model summary): training mode
/// keeps frozen batch normalization in evaluation mode, and a helper that evaluates hands the model back in the mode it
/// found it in.
/// </summary>
public static class ModelMode
{
    /// <summary>
    /// Training mode for the model, except the batch normalization layers whose parameters are all frozen: their
    /// running mean and variance are part of what was frozen, and in training mode they would drift towards the new
    /// data's statistics.
    /// </summary>
    public static void Train(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.train();
        KeepFrozenNormalizationInEval(model);
    }

    /// <summary>Puts every batch normalization layer whose parameters are all frozen into evaluation mode.</summary>
    public static void KeepFrozenNormalizationInEval(Module model)
    {
        foreach (var (_, module) in model.named_modules())
        {
            if (module is not (BatchNorm1d or BatchNorm2d or BatchNorm3d)) continue;
            var parameters = module.parameters().ToList();
            if (parameters.Count > 0 && parameters.All(p => !p.requires_grad)) module.eval();
        }
    }

    /// <summary>
    /// Evaluation mode until the scope is disposed; then the model is back in the mode it was in (a training model
    /// through <see cref="Train"/>, so frozen normalization stays in evaluation). <c>using var _ = ModelMode.Evaluating(model);</c>
    /// </summary>
    public static EvaluationScope Evaluating(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var wasTraining = model.training;
        model.eval();
        return new EvaluationScope(model, wasTraining);
    }

    /// <summary>The scope of <see cref="Evaluating"/>: disposing it gives the model back its mode.</summary>
    public readonly struct EvaluationScope : IDisposable
    {
        private readonly Module model;
        private readonly bool wasTraining;

        internal EvaluationScope(Module model, bool wasTraining) => (this.model, this.wasTraining) = (model, wasTraining);

        /// <summary>The model in its earlier mode (also when something inside the scope switched it).</summary>
        public void Dispose()
        {
            if (wasTraining) Train(model);
            else model?.eval();
        }
    }
}
