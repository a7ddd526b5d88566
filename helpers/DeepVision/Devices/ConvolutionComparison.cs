namespace DeepVision.Devices;

/// <summary>
/// What the checks of a CPU's convolutions (<see cref="OneDnnConvolutions"/>, <see cref="BFloat16Convolutions"/>) share:
/// inputs made without a random generator, and one 3×3 convolution computed in two number formats and compared.
/// </summary>
internal static class ConvolutionComparison
{
    /// <summary>Values in [-1, 1] on the CPU that vary from element to element, made without a random generator (so
    /// that checking does not move libtorch's).</summary>
    public static Tensor Pattern(long[] shape, double step, ScalarType type) =>
        torch.sin(torch.arange(shape.Aggregate(1L, (a, b) => a * b), dtype: ScalarType.Float64, device: torch.CPU) * step).reshape(shape).to(type);

    /// <summary>
    /// max |reference - compared| / max |reference| of a 3×3 convolution (padding 1) of <paramref name="input"/> with
    /// <paramref name="weight"/> computed in <paramref name="reference"/> and in <paramref name="compared"/>: its output,
    /// or its input's gradient; NaN where the compared result is not finite.
    /// </summary>
    public static double LargestRelativeError(Tensor input, Tensor weight, int stride, bool inputGradient, ScalarType reference, ScalarType compared)
    {
        using var scope = torch.NewDisposeScope();
        Tensor Compute(ScalarType type)
        {
            // A leaf of its own: to() hands back the input itself when the type already matches.
            var x = input.to(type).detach().requires_grad_(inputGradient);
            var y = nn.functional.conv2d(x, weight.to(type), strides: [stride, stride], padding: [1, 1]);
            if (!inputGradient) return y.detach().to(ScalarType.Float64);
            // A fixed weighting of the outputs, so that every output position sends back a different gradient.
            (y * Pattern(y.shape, 0.71, type)).sum().backward();
            return x.grad!.to(ScalarType.Float64);
        }
        var exact = Compute(reference);
        var other = Compute(compared);
        var error = (exact - other).abs().max().item<double>() / Math.Max(exact.abs().max().item<double>(), 1e-12);
        return other.isfinite().all().item<bool>() ? error : double.NaN;
    }
}
