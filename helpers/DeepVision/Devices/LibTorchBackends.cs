using System.Runtime.InteropServices;

namespace DeepVision.Devices;

/// <summary>
/// libtorch's switches for its oneDNN (MKL-DNN) and NNPACK kernels, <c>at::globalContext().setUserEnabledMkldnn(bool)</c>
/// and <c>setUserEnabledNNPACK(bool)</c>, which PyTorch exposes as <c>torch.backends.mkldnn.enabled</c> and
/// <c>torch.backends.nnpack.set_flags</c> and TorchSharp 0.107 does not: called through the C++ functions' exported
/// (mangled) names in libtorch_cpu. Where a libtorch lacks them, the calls say so instead of failing.
/// </summary>
internal static class LibTorchBackends
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate IntPtr GlobalContext();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] [return: MarshalAs(UnmanagedType.U1)] private delegate bool Available();
    [UnmanagedFunctionPointer(CallingConvention.ThisCall)] private delegate void SetEnabled(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
    [UnmanagedFunctionPointer(CallingConvention.ThisCall)] [return: MarshalAs(UnmanagedType.U1)] private delegate bool GetEnabled(IntPtr context);

    // Itanium C++ names (Linux, macOS), then Microsoft's (Windows x64).
    private static readonly string[] GlobalContextNames = ["_ZN2at13globalContextEv", "?globalContext@at@@YAAEAVContext@1@XZ"];
    private static readonly string[] SetOneDnnNames = ["_ZN2at7Context20setUserEnabledMkldnnEb", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z"];
    private static readonly string[] GetOneDnnNames = ["_ZNK2at7Context17userEnabledMkldnnEv", "?userEnabledMkldnn@Context@at@@QEBA_NXZ"];
    private static readonly string[] SetNnpackNames = ["_ZN2at7Context20setUserEnabledNNPACKEb", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z"];
    private static readonly string[] NnpackAvailableNames = ["_ZN2at6native17_nnpack_availableEv", "?_nnpack_available@native@at@@YA_NXZ"];

    /// <summary>Whether oneDNN is on in this process; null where the switch is not found.</summary>
    public static bool? OneDnnEnabled =>
        Find(GetOneDnnNames) is { } get && Context() is { } context ? Marshal.GetDelegateForFunctionPointer<GetEnabled>(get)(context) : null;

    /// <summary>Switches oneDNN on or off for this process; false, with the reason, where the switch is not found.</summary>
    public static bool TrySetOneDnn(bool enabled, out string why) => TrySet(SetOneDnnNames, "setUserEnabledMkldnn", enabled, out why);

    /// <summary>
    /// Switches NNPACK off where it cannot run on this CPU. Without oneDNN libtorch tries NNPACK for every float32
    /// convolution and, where its start-up fails (as on the CPU that needs oneDNN off), logs "Could not initialize
    /// NNPACK!" each time: thousands of lines in a run. Where NNPACK runs it stays on. True where it was switched off.
    /// </summary>
    public static bool SwitchOffNnpackWhereUnavailable()
    {
        if (Find(NnpackAvailableNames) is not { } available || Marshal.GetDelegateForFunctionPointer<Available>(available)()) return false;
        return TrySet(SetNnpackNames, "setUserEnabledNNPACK", false, out _);
    }

    private static bool TrySet(string[] names, string what, bool enabled, out string why)
    {
        if (Context() is not { } context || Find(names) is not { } set)
        {
            why = $"this libtorch exports no at::Context::{what}";
            return false;
        }
        Marshal.GetDelegateForFunctionPointer<SetEnabled>(set)(context, enabled);
        why = "";
        return true;
    }

    private static IntPtr? Context() =>
        Find(GlobalContextNames) is { } global ? Marshal.GetDelegateForFunctionPointer<GlobalContext>(global)() : null;

    private static IntPtr? Find(string[] names)
    {
        var library = LibTorchCpu.Value;
        if (library == IntPtr.Zero) return null;
        foreach (var name in names)
            if (NativeLibrary.TryGetExport(library, name, out var address)) return address;
        return null;
    }

    // TorchSharp has loaded it (NativeTorch.LoadOwnLibraries first, then any tensor): a load by name hands back that copy.
    private static readonly Lazy<IntPtr> LibTorchCpu = new(() =>
    {
        torch.zeros(1).Dispose();
        foreach (var name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll", "torch_cpu" })
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        return IntPtr.Zero;
    });
}
