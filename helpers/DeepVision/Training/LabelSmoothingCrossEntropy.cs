namespace DeepVision.Training;

/// <summary>
/// Cross-entropy against smoothed targets (Szegedy et al. 2016): the true class gets 1 − ε + ε/K of the target
/// probability and every class ε/K, so the network is never pushed towards infinitely confident logits. The mean over
/// the batch, as <c>nn.CrossEntropyLoss()</c>. TorchSharp 0.107's <c>nn.CrossEntropyLoss</c> has no
/// <c>label_smoothing</c> parameter (PyTorch's has); its functional <c>cross_entropy</c> does, and this module calls it.
/// </summary>
public sealed class LabelSmoothingCrossEntropy : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>A loss with smoothing <paramref name="smoothing"/> (ε, from 0: plain cross-entropy, up to but not 1).</summary>
    public LabelSmoothingCrossEntropy(double smoothing = 0.1) : base(nameof(LabelSmoothingCrossEntropy))
    {
        if (!(smoothing >= 0 && smoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Label smoothing is a fraction from 0 up to (not including) 1, such as 0.1.");
        Smoothing = smoothing;
    }

    /// <summary>ε, the probability spread evenly over all classes.</summary>
    public double Smoothing { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits, labels, null, -100, nn.Reduction.Mean, Smoothing);
}
