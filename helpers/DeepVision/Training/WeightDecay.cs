using TorchSharp.Modules;

namespace DeepVision.Training;

/// <summary>
/// Weight decay on the weights of convolutions and linear layers only: biases and the scales and shifts of
/// normalization layers (every parameter of one dimension) are left undecayed, as in the bag-of-tricks recipe
/// (He et al. 2019) and timm. Decaying a batch norm's scale only shrinks what the next layer undoes.
/// </summary>
public static class WeightDecay
{
    /// <summary>The trainable parameters split into those to decay (two or more dimensions) and the rest.</summary>
    public static (IReadOnlyList<Parameter> Decayed, IReadOnlyList<Parameter> NotDecayed) Split(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        if (trainable.Count == 0) throw new ArgumentException("The model has no trainable parameter (all frozen?).", nameof(model));
        return (trainable.Where(p => p.dim() > 1).ToList(), trainable.Where(p => p.dim() <= 1).ToList());
    }

    /// <summary>SGD (with momentum, optionally Nesterov's) whose weight decay spares biases and normalization parameters.</summary>
    public static SGD Sgd(nn.Module model, double learningRate, double momentum = 0.9, double weightDecay = 5e-4, bool nesterov = false)
    {
        Check(learningRate, weightDecay);
        var (decayed, notDecayed) = Split(model);
        return optim.SGD([
            new SGD.ParamGroup(decayed, learningRate, momentum, 0.0, weightDecay, nesterov, false),
            new SGD.ParamGroup(notDecayed, learningRate, momentum, 0.0, 0.0, nesterov, false),
        ], learningRate, momentum, 0.0, weightDecay, nesterov);
    }

    /// <summary>AdamW whose weight decay spares biases and normalization parameters.</summary>
    public static AdamW AdamW(nn.Module model, double learningRate, double weightDecay = 0.05)
    {
        Check(learningRate, weightDecay);
        var (decayed, notDecayed) = Split(model);
        return optim.AdamW([
            new AdamW.ParamGroup(decayed, learningRate, 0.9, 0.999, 1e-8, weightDecay, false, false),
            new AdamW.ParamGroup(notDecayed, learningRate, 0.9, 0.999, 1e-8, 0.0, false, false),
        ], learningRate, 0.9, 0.999, 1e-8, weightDecay);
    }

    private static void Check(double learningRate, double weightDecay)
    {
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "The weight decay cannot be negative.");
    }
}
