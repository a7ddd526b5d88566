using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// Dropout as <c>nn.Dropout</c> computes it (in training, each element is zeroed with probability <c>p</c> and the
/// kept ones are scaled by 1/(1 − p); in evaluation, the input passes unchanged), with its mask drawn by
/// <c>torch.rand_like</c> and compared with <c>p</c>. libtorch's CPU dropout draws the mask with <c>bernoulli_</c>,
/// which outside MKL on Intel CPUs is a serial loop about twice as slow as <c>rand_like</c>'s, then divides and
/// multiplies in two more passes; a ViT's training step draws a mask for every activation of every block, so that
/// cost shows (see <c>./build.sh bench vit</c>). The random numbers come from the same generator
/// (<c>torch.manual_seed</c>), so a seeded run stays reproducible.
/// </summary>
public sealed class MaskDropout : Module<Tensor, Tensor>
{
    private readonly double p;

    /// <summary>Dropout that zeroes each element with probability <paramref name="p"/> (0 ≤ p ≤ 1) in training.</summary>
    public MaskDropout(double p = 0.5) : base(nameof(MaskDropout))
    {
        if (double.IsNaN(p) || p < 0 || p > 1)
            throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability p must be between 0 and 1 (0.1 zeroes one element in ten).");
        this.p = p;
    }

    /// <summary>The probability that an element is zeroed in training.</summary>
    public double P => p;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (!training || p == 0) return input.alias();
        if (p == 1) return input * 0.0;                  // everything dropped; keeps the graph, as nn.Dropout does
        using var scope = torch.NewDisposeScope();
        // The mask is drawn in float32 whatever the input's type: rand_like in bfloat16 is slower, and coarser.
        var keep = (torch.rand_like(input, dtype: ScalarType.Float32) >= p).to_type(input.dtype).mul_(1.0 / (1.0 - p));
        return (input * keep).MoveToOuterDisposeScope();
    }
}
