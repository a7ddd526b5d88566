using System.Runtime.InteropServices;

namespace DeepVision.Devices;

/// <summary>
/// Whether this CPU's bfloat16 convolutions compute what float32 ones compute, within bfloat16's precision. On some
/// machines libtorch 2.10's oneDNN kernels get 3×3 and 5×5 bfloat16 convolutions wrong where the output channels (for
/// the output) or the input channels (for the input's gradient) are not a multiple of 16: on a 2-core AMD EPYC virtual
/// machine, CPU family 26, a 3-to-4-channel convolution was off by about half of its largest output and the input
/// gradient of a 6-channel one by about 30%, so mixed precision would silently train another network than the one
/// written. <see cref="DeviceSetup.Setup"/> asks once per process; a few milliseconds.
/// </summary>
public static class BFloat16Convolutions
{
    // bfloat16 keeps 8 significant bits: a right convolution is off by well under 1% of its largest value here (0.3 to
    // 0.5% measured), a wrong one by tens of percent.
    private const double Tolerance = 0.05;

    private static readonly Lazy<string?> CpuFault = new(Probe);

    /// <summary>Null where the CPU's bfloat16 convolutions agree with float32 ones; otherwise why bfloat16 is not to be
    /// used here, in a sentence: its convolutions are wrong, or oneDNN, its fast kernels, is switched off or limited to
    /// SSE4.1, which has no bfloat16 instructions (<see cref="OneDnnConvolutions"/>; libtorch's own bfloat16 convolutions are slow, and were up to 8% off).</summary>
    public static string? Fault => CpuFault.Value;

    /// <summary>
    /// Two convolutions with channel counts that are not multiples of 16, in float32 and in bfloat16: 3 to 4 channels
    /// forward, and the gradient of a 6-channel input (LeNet's second convolution). Inputs and weights are fixed
    /// patterns, not random numbers, so that asking does not move libtorch's random generator.
    /// </summary>
    internal static string? Probe()
    {
        // After the float32 check, which may switch oneDNN off: bfloat16 is fast only through oneDNN's kernels (without
        // them a 512² bfloat16 matrix product ran at 2 GFLOP/s on the faulty machine, float32 at 169).
        OneDnnConvolutions.EnsureChecked();
        if (OneDnnConvolutions.SwitchedOff)
            return "bfloat16 is fast only with libtorch's oneDNN kernels, which are switched off in this process (CPU convolutions line)";
        // The helpers' own limit is one such setting (asked directly too: oneDNN keeps what it read, whatever the
        // variable says later); the line then points at its reason.
        if (OneDnnConvolutions.LimitedToSse41 || OneDnnInstructionLimit.WithoutFastBFloat16)
            return "bfloat16 is fast only with libtorch's oneDNN AVX-512 kernels, and " + (OneDnnConvolutions.LimitedToSse41
                ? "oneDNN is limited to its SSE4.1 kernels in this process (CPU convolutions line)"
                : $"{OneDnnInstructionLimit.Variable}={OneDnnInstructionLimit.Current()} limits oneDNN to kernels without bfloat16 instructions");
        try
        {
            using var scope = torch.NewDisposeScope();
            using var gradients = torch.enable_grad();   // the check computes a gradient, also when asked inside no_grad
            return Compare();
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            // Unknown is not right: no bfloat16 where the check itself cannot run.
            return $"the check of this CPU's bfloat16 convolutions failed ({e.GetType().Name}: {e.Message})";
        }
    }

    private static string? Compare()
    {
        // Not "error > Tolerance": a result with NaN in it has a NaN error, and that is wrong too.
        static string Off(double error) => double.IsNaN(error) ? "is not a number in places" : $"is off by {error:P0}";
        var forward = LargestRelativeError(Pattern([8, 3, 16, 16], 0.37), Pattern([4, 3, 3, 3], 1.91), inputGradient: false);
        if (!(forward <= Tolerance))
            return $"bfloat16 convolutions compute wrong results on this CPU (libtorch's oneDNN kernels: a 3-to-4-channel convolution {Off(forward)} of its largest output)";
        var backward = LargestRelativeError(Pattern([8, 6, 16, 16], 0.53), Pattern([16, 6, 3, 3], 1.27), inputGradient: true);
        if (!(backward <= Tolerance))
            return $"bfloat16 convolutions compute wrong results on this CPU (libtorch's oneDNN kernels: the input gradient of a 6-channel convolution {Off(backward)} of its largest value)";
        return null;
    }

    private static double LargestRelativeError(Tensor input, Tensor weight, bool inputGradient) =>
        ConvolutionComparison.LargestRelativeError(input, weight, 1, inputGradient, ScalarType.Float32, ScalarType.BFloat16);

    private static Tensor Pattern(long[] shape, double step) => ConvolutionComparison.Pattern(shape, step, ScalarType.Float32);
}
