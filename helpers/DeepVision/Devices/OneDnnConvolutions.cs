using System.Runtime.InteropServices;

namespace DeepVision.Devices;

/// <summary>
/// Whether libtorch's oneDNN kernels compute right float32 convolutions on this CPU, and where they do not, switching
/// them off (PyTorch's <c>torch.backends.mkldnn.enabled = False</c>, which TorchSharp does not offer) so that libtorch's
/// own kernels compute them. On a 2-core AMD EPYC virtual machine (CPU family 26) whose CPUID describes no caches,
/// libtorch 2.10's oneDNN got convolutions with channel counts that are not multiples of 16 wrong, in float32 too
/// (a 24-to-48-channel stride-2 convolution off by 84%, or NaN, from run to run) and crashed planning others; with
/// oneDNN off they were right, and training about 2 to 2.6 times slower. Asked once per process, a few milliseconds,
/// by <see cref="DeviceSetup.Setup"/> and by the training loop before it computes anything.
/// </summary>
public static class OneDnnConvolutions
{
    // float32 against float64 on these sizes differs by about 1e-6 of the largest value where the kernels are right;
    // the wrong ones measured were off by 40% and more, or NaN.
    private const double Tolerance = 1e-3;

    private static readonly Lazy<string?> CpuFault = new(CheckAndRepair);

    /// <summary>
    /// Null where oneDNN's float32 convolutions agree with float64 ones on this CPU; otherwise what was wrong and what
    /// was done about it, in a sentence (oneDNN is then switched off, see <see cref="SwitchedOff"/>).
    /// </summary>
    public static string? Fault => CpuFault.Value;

    /// <summary>Whether the check switched oneDNN off in this process (its convolutions were wrong here).</summary>
    public static bool SwitchedOff { get; private set; }

    /// <summary>
    /// Whether convolutions on this CPU are now right: oneDNN's were, or switching it off made them right. False only
    /// where they were wrong and could not be repaired; <see cref="Fault"/> then says why.
    /// </summary>
    public static bool Right => Fault is null || Repaired;

    private static bool Repaired { get; set; }

    /// <summary>Runs the check (once per process) before anything computes a convolution.</summary>
    public static void EnsureChecked() => _ = CpuFault.Value;

    private static string? CheckAndRepair()
    {
        NativeTorch.LoadOwnLibraries();
        var wrong = Probe();
        if (wrong is null) return null;
        var what = $"libtorch's oneDNN kernels computed wrong float32 convolutions on this CPU ({wrong})";
        if (!LibTorchBackends.TrySetOneDnn(enabled: false, out var why))
            return $"{what}, and they cannot be switched off here ({why}): convolutions on this CPU cannot be trusted";
        SwitchedOff = true;
        LibTorchBackends.SwitchOffNnpackWhereUnavailable();
        if (Probe() is { } still)
            return $"{what}, and with oneDNN switched off they are still wrong ({still}): convolutions on this CPU cannot be trusted";
        Repaired = true;
        return $"{what}, so oneDNN is switched off: libtorch's own kernels compute them right, more slowly";
    }

    /// <summary>
    /// Null where float32 convolutions agree with float64 ones (which libtorch computes without oneDNN) on three shapes
    /// that were wrong on the faulty machine; otherwise the first that does not, in words. Fixed input patterns, not
    /// random numbers, so that asking does not move libtorch's random generator.
    /// </summary>
    internal static string? Probe()
    {
        try
        {
            using var scope = torch.NewDisposeScope();
            using var gradients = torch.enable_grad();
            foreach (var (inputs, outputs, stride, inputGradient) in Shapes)
            {
                var error = LargestRelativeError(inputs, outputs, stride, inputGradient);
                if (!(error <= Tolerance))   // NaN too
                    return $"a {inputs}-to-{outputs}-channel 3×3 convolution{(stride > 1 ? $" of stride {stride}" : "")}: " +
                           $"{(inputGradient ? "its input's gradient" : "its output")} {(double.IsNaN(error) ? "was not a number" : $"was off by {error:P0} of its largest value")}";
            }
            return null;
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            return $"the check itself failed: {e.GetType().Name}: {e.Message}";
        }
    }

    private static readonly (int Inputs, int Outputs, int Stride, bool InputGradient)[] Shapes =
        [(16, 24, 1, true), (24, 48, 2, false), (48, 96, 2, true)];

    /// <summary>max |float64 - float32| / max |float64| of a 3×3 convolution's output, or of its input's gradient (NaN where either is not finite).</summary>
    internal static double LargestRelativeError(int inputs, int outputs, int stride, bool inputGradient)
    {
        const int batch = 4, size = 12;
        var input = Pattern([batch, inputs, size, size], 0.37, ScalarType.Float64);
        var weight = Pattern([outputs, inputs, 3, 3], 1.91, ScalarType.Float64) * 0.3;
        Tensor Compute(ScalarType type)
        {
            var x = input.to(type).detach().requires_grad_(inputGradient);
            var y = nn.functional.conv2d(x, weight.to(type), strides: [stride, stride], padding: [1, 1]);
            if (!inputGradient) return y.detach().to(ScalarType.Float64);
            (y * Pattern(y.shape, 0.71, type)).sum().backward();
            return x.grad!.to(ScalarType.Float64);
        }
        var exact = Compute(ScalarType.Float64);
        var single = Compute(ScalarType.Float32);
        var error = (exact - single).abs().max().item<double>() / Math.Max(exact.abs().max().item<double>(), 1e-12);
        return single.isfinite().all().item<bool>() ? error : double.NaN;
    }

    /// <summary>Values in [-1, 1] that vary from element to element, made without a random generator.</summary>
    internal static Tensor Pattern(long[] shape, double step, ScalarType type) =>
        torch.sin(torch.arange(shape.Aggregate(1L, (a, b) => a * b), dtype: ScalarType.Float64) * step).reshape(shape).to(type);
}
