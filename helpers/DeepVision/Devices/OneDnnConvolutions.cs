using System.Runtime.InteropServices;

namespace DeepVision.Devices;

/// <summary>
/// Whether libtorch's oneDNN kernels compute right float32 convolutions on this CPU, and where they do not, repairing it.
/// On a 2-core AMD EPYC virtual machine (CPU family 26) whose CPUID describes no caches (<see cref="CpuCacheDescription"/>),
/// libtorch 2.10's oneDNN got convolutions wrong in float32 too (a 24-to-48-channel stride-2 convolution off by 84%, or
/// NaN), in its AVX-512, AVX2 and AVX kernels (13, 5 and 1 of 98 shapes tried), and right in its SSE4.1 kernels (all 98).
/// So, on a CPU that hides its caches, oneDNN is first limited to its SSE4.1 kernels (<see cref="OneDnnInstructionLimit"/>),
/// which must happen before anything computes; then float32 convolutions are checked against float64 ones; where they
/// are wrong, oneDNN is switched off (PyTorch's <c>torch.backends.mkldnn.enabled = False</c>, which TorchSharp does not
/// offer), so that libtorch's own kernels compute them, and checked again. <c>./build.sh bench onednn</c> measures the
/// costs. Checked once per process, in milliseconds, by <see cref="DeviceSetup.Setup"/>, or else by whichever helper
/// first computes with a model (training, evaluation, predictions, Grad-CAM, cached features, a model summary). The environment variable <c>DEEPVISION_ONEDNN</c> overrides the check: <c>off</c>
/// switches oneDNN off unchecked (for a machine where it crashes but computes right), <c>on</c> keeps it as it is,
/// unlimited and unchecked, <c>check</c> (or unset) checks.
/// </summary>
public static class OneDnnConvolutions
{
    /// <summary>The environment variable that overrides the check.</summary>
    public const string Setting = "DEEPVISION_ONEDNN";

    // float32 against float64 on these sizes differs by about 1e-6 of the largest value where the kernels are right;
    // the wrong ones measured were off by 40% and more, or NaN.
    private const double Tolerance = 1e-3;

    private static readonly Lazy<Outcome> State = new(() => Decide(
        Environment.GetEnvironmentVariable(Setting),
        CpuCacheDescription.Hidden,
        LimitToSse41,
        () => { NativeTorch.LoadOwnLibraries(); return Probe(); },
        SwitchOff));

    /// <summary>What the check (or <c>DEEPVISION_ONEDNN</c>) decided.</summary>
    internal sealed record Outcome(string? Fault, bool SwitchedOff, bool Right, bool LimitedToSse41 = false);

    /// <summary>
    /// Null where nothing needed saying: oneDNN's float32 convolutions agree with float64 ones on this CPU (or
    /// <c>DEEPVISION_ONEDNN=on</c>). Otherwise a sentence: that oneDNN was limited to its SSE4.1 kernels and why
    /// (<see cref="LimitedToSse41"/>), what was found wrong and what was done (oneDNN switched off, see
    /// <see cref="SwitchedOff"/>; <see cref="Right"/> says whether that made convolutions right), or that the check could
    /// not run, or that the setting switched oneDNN off.
    /// </summary>
    public static string? Fault => State.Value.Fault;

    /// <summary>Whether oneDNN is switched off in this process (its convolutions were wrong here, or the setting said so).</summary>
    public static bool SwitchedOff => State.Value.SwitchedOff;

    /// <summary>Whether oneDNN was limited to its SSE4.1 kernels for this process (on a CPU that hides its caches, where
    /// its faster kernels computed wrong convolutions on the one such machine seen so far) and left on. The limit takes
    /// effect only where nothing had computed with oneDNN before the check; the check then found the convolutions right
    /// (or, see <see cref="Fault"/>, could not run). Slower than the unlimited kernels, faster than libtorch's own for
    /// most of the course's networks (<c>./build.sh bench onednn</c>); no fast bfloat16.</summary>
    public static bool LimitedToSse41 => State.Value.LimitedToSse41;

    /// <summary>
    /// Whether convolutions on this CPU are not known to be wrong: oneDNN's were right, or switching it off made them
    /// right, or they could not be checked. False only where they were found wrong and could not be repaired.
    /// </summary>
    public static bool Right => State.Value.Right;

    /// <summary>Whether oneDNN is on in this process now; null where this libtorch exports no switch for it.</summary>
    public static bool? Enabled => LibTorchBackends.OneDnnEnabled;

    /// <summary>Runs the check (once per process) before anything computes a convolution. Never throws: a check that
    /// fails says so in <see cref="Fault"/>.</summary>
    public static void EnsureChecked() => _ = State.Value;

    private static int reported;
    private static int requests;

    /// <summary>How many times code about to compute has asked for the check (<see cref="EnsureCheckedAndSaid"/>): tests
    /// see with it that each way into computing asks, also after the check has run.</summary>
    internal static int Requests => Volatile.Read(ref requests);

    /// <summary>
    /// <see cref="EnsureChecked"/> for the helpers that compute with a model, which a script may call without having
    /// called <see cref="DeviceSetup.Setup"/> (the training loop, <c>ModelRun</c>, the model summary):
    /// prints <see cref="Fault"/> to standard error where no device line has shown it.
    /// </summary>
    internal static void EnsureCheckedAndSaid()
    {
        Interlocked.Increment(ref requests);
        if (TakeUnreported() is { } fault) Console.Error.WriteLine($"{(Right ? "note" : "warning")}: {fault}");
    }

    /// <summary>
    /// <see cref="Fault"/> the first time it is asked for in this process, null after (and where there is none): the
    /// device line prints it, and the training loop prints it where no device line did.
    /// </summary>
    internal static string? TakeUnreported() => Fault is { } fault && Interlocked.Exchange(ref reported, 1) == 0 ? fault : null;

    /// <summary>
    /// The decision, from the setting (<paramref name="setting"/>, the value of <c>DEEPVISION_ONEDNN</c>), whether the
    /// CPU hides its caches (<paramref name="cachesHidden"/>), <paramref name="limitToSse41"/> (null where it limited
    /// oneDNN to its SSE4.1 kernels, otherwise why not), the <paramref name="probe"/> (null where right, otherwise what is
    /// wrong; it may throw) and <paramref name="switchOff"/> (null where it switched oneDNN off, otherwise why it could
    /// not). Never throws.
    /// </summary>
    internal static Outcome Decide(string? setting, bool cachesHidden, Func<string?> limitToSse41, Func<string?> probe, Func<string?> switchOff)
    {
        switch (setting?.Trim().ToLowerInvariant())
        {
            case null or "" or "check": break;
            case "on": return new(null, false, true);
            case "off":
                return ReasonNotDone(switchOff) is { } cannotSwitch
                    ? new($"{Setting}=off asks to switch libtorch's oneDNN off, but it cannot be switched off here ({cannotSwitch})", false, true)
                    : new($"libtorch's oneDNN is switched off ({Setting}=off): libtorch's own kernels compute convolutions, more slowly", true, true);
            default:
                return new($"{Setting} is \"{setting}\": it must be \"check\" (the default), \"on\" or \"off\"; oneDNN was left on, unchecked", false, true);
        }
        // Before anything computes: oneDNN fixes its kernels' instruction set at its first computation.
        var notLimited = cachesHidden ? ReasonNotDone(limitToSse41) : null;
        var limited = cachesHidden && notLimited is null;
        const string hidden = "this CPU hides its cache sizes (a virtual machine's CPUID), and on the one such CPU seen so far oneDNN's AVX, AVX2 and AVX-512 kernels computed wrong convolutions";
        string? wrong;
        try { wrong = probe(); }
        catch (Exception e)
        {
            // Unknown is not wrong: oneDNN stays on, and the line says that nothing was checked.
            return new($"libtorch's oneDNN convolutions could not be checked on this CPU ({e.GetType().Name}: {e.Message}); oneDNN was left on" +
                       (limited ? ", limited to its SSE4.1 kernels" : ""), false, true, limited);
        }
        if (wrong is null)
            return limited
                ? new($"{hidden}, so oneDNN is limited to its SSE4.1 kernels in this process ({OneDnnInstructionLimit.Variable}={OneDnnInstructionLimit.Sse41}), and the check finds its convolutions right", false, true, true)
                : new(null, false, true);
        var what = $"libtorch's oneDNN kernels computed wrong float32 convolutions on this CPU ({wrong})" +
                   (limited ? ", also limited to SSE4.1 (or limited too late: oneDNN had computed before in this process)"
                    : cachesHidden ? $", which hides its cache sizes; oneDNN could not be limited to its SSE4.1 kernels ({notLimited})" : "");
        if (ReasonNotDone(switchOff) is { } cannot)
            return new($"{what}, and they cannot be switched off here ({cannot}): convolutions on this CPU cannot be trusted", false, false);
        try
        {
            // Still wrong without oneDNN: oneDNN stays off all the same, since the fault was found in its kernels.
            if (probe() is { } still)
                return new($"{what}, and with oneDNN switched off they are still wrong ({still}): convolutions on this CPU cannot be trusted", true, false);
        }
        catch (Exception e)
        {
            return new($"{what}, so oneDNN is switched off in this process; the check could not run again ({e.GetType().Name}: {e.Message})", true, true);
        }
        return new($"{what}, so oneDNN is switched off in this process: libtorch's own kernels compute them right, more slowly", true, true);

        // A step (the switch, the limit) answers null where it was done, else why not; an exception is a reason too.
        static string? ReasonNotDone(Func<string?> step)
        {
            try { return step(); }
            catch (Exception e) { return $"{e.GetType().Name}: {e.Message}"; }
        }
    }

    // NNPACK off as well: libtorch considers it for the float32 convolutions it does not give oneDNN (small batches
    // and inputs), and on a CPU that hides its caches NNPACK cannot start ("Unsupported hardware"), which libtorch logs
    // at every such convolution before its own kernels compute it. Best effort: the limit is what matters.
    private static string? LimitToSse41()
    {
        var notLimited = OneDnnInstructionLimit.TryLimitToSse41();
        try { LibTorchBackends.TrySetNnpack(false, out _); }
        catch (Exception e) when (e is ExternalException or DllNotFoundException or EntryPointNotFoundException or InvalidOperationException) { }
        return notLimited;
    }

    // NNPACK too: without oneDNN libtorch takes NNPACK for float32 convolutions of batches of 16 and more, and NNPACK
    // sizes its work by the same cache information; libtorch's own kernels are the ones the check measured right.
    private static string? SwitchOff() =>
        !LibTorchBackends.TrySetOneDnn(false, out var why) ? why
        : !LibTorchBackends.TrySetNnpack(false, out why) ? why
        : null;

    /// <summary>
    /// Null where float32 convolutions agree with float64 ones (which libtorch computes without oneDNN) on four shapes
    /// that were wrong on the faulty machine; otherwise the first that does not, in words. On the CPU, with fixed input
    /// patterns rather than random numbers, so that asking does not move libtorch's random generator.
    /// </summary>
    internal static string? Probe()
    {
        using var scope = torch.NewDisposeScope();
        using var gradients = torch.enable_grad();   // the check computes gradients, also when asked inside no_grad
        foreach (var (inputs, outputs, stride, inputGradient) in Shapes)
        {
            var error = LargestRelativeError(inputs, outputs, stride, inputGradient);
            if (!(error <= Tolerance))   // NaN too
                return $"a {inputs}-to-{outputs}-channel 3×3 convolution{(stride > 1 ? $" of stride {stride}" : "")}: " +
                       $"{(inputGradient ? "its input's gradient" : "its output")} {(double.IsNaN(error) ? "was not a number" : $"was off by {error:P0} of its largest value")}";
        }
        return null;
    }

    // The first three were wrong in every run on the faulty machine with oneDNN unlimited; the last also with its AVX
    // kernels (a 20-to-40-channel stride-2 output off by 67%).
    private static readonly (int Inputs, int Outputs, int Stride, bool InputGradient)[] Shapes =
        [(16, 24, 1, true), (24, 48, 2, false), (48, 96, 2, true), (20, 40, 2, false)];

    /// <summary>max |float64 - float32| / max |float64| of a 3×3 convolution's output, or of its input's gradient, on
    /// fixed patterns on the CPU (batch 4, 12 px); NaN where the float32 result is not finite.</summary>
    internal static double LargestRelativeError(int inputs, int outputs, int stride, bool inputGradient)
    {
        using var scope = torch.NewDisposeScope();
        var input = ConvolutionComparison.Pattern([4, inputs, 12, 12], 0.37, ScalarType.Float64);
        var weight = ConvolutionComparison.Pattern([outputs, inputs, 3, 3], 1.91, ScalarType.Float64) * 0.3;
        return ConvolutionComparison.LargestRelativeError(input, weight, stride, inputGradient, ScalarType.Float64, ScalarType.Float32);
    }
}
