using System.Runtime.InteropServices;

namespace DeepVision.Devices;

/// <summary>
/// libtorch's switches for its oneDNN (MKL-DNN) and NNPACK kernels, <c>at::globalContext().setUserEnabledMkldnn(bool)</c>
/// and <c>setUserEnabledNNPACK(bool)</c>, which PyTorch exposes as <c>torch.backends.mkldnn.enabled</c> and
/// <c>torch.backends.nnpack.set_flags</c> and TorchSharp 0.107 does not: called through the C++ functions' exported
/// (mangled) names in libtorch_cpu. Where a libtorch lacks them (or, on macOS, where its file is not known), the calls
/// say so instead of failing.
/// </summary>
internal static class LibTorchBackends
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate IntPtr GlobalContext();
    // Member functions: the object is the first argument (x64 has one calling convention for both).
    [UnmanagedFunctionPointer(CallingConvention.ThisCall)] private delegate void SetEnabled(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
    [UnmanagedFunctionPointer(CallingConvention.ThisCall)] [return: MarshalAs(UnmanagedType.U1)] private delegate bool GetEnabled(IntPtr context);

    // Itanium C++ names (Linux, macOS), then Microsoft's (Windows x64).
    private static readonly string[] GlobalContextNames = ["_ZN2at13globalContextEv", "?globalContext@at@@YAAEAVContext@1@XZ"];
    private static readonly string[] SetOneDnnNames = ["_ZN2at7Context20setUserEnabledMkldnnEb", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z"];
    private static readonly string[] GetOneDnnNames = ["_ZNK2at7Context17userEnabledMkldnnEv", "?userEnabledMkldnn@Context@at@@QEBA_NXZ"];
    private static readonly string[] SetNnpackNames = ["_ZN2at7Context20setUserEnabledNNPACKEb", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z"];

    /// <summary>Whether oneDNN is on in this process; null where the switch is not found.</summary>
    public static bool? OneDnnEnabled =>
        Find(GetOneDnnNames) is { } get && Context() is { } context ? Marshal.GetDelegateForFunctionPointer<GetEnabled>(get)(context) : null;

    /// <summary>Switches oneDNN on or off for this process; false, with the reason, where the switch is not found.</summary>
    public static bool TrySetOneDnn(bool enabled, out string why) => TrySet(SetOneDnnNames, "setUserEnabledMkldnn", enabled, out why);

    /// <summary>Switches NNPACK on or off for this process; false, with the reason, where the switch is not found.</summary>
    public static bool TrySetNnpack(bool enabled, out string why) => TrySet(SetNnpackNames, "setUserEnabledNNPACK", enabled, out why);

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

    // The copy TorchSharp loaded: by the full path NativeTorch loaded it from (Linux x64), else by name, which the loader
    // matches against the libraries already loaded on Linux and Windows. (On macOS a bare name is looked up on the
    // fallback paths, which may hold another libtorch: there only a full path would do, and none is known.)
    private static readonly Lazy<IntPtr> LibTorchCpu = new(() =>
    {
        var own = NativeTorch.LoadOwnLibraries();
        torch.zeros(1).Dispose();
        var names = own.Where(f => Path.GetFileName(f) == "libtorch_cpu.so").ToList();
        if (OperatingSystem.IsLinux()) names.Add("libtorch_cpu.so");
        if (OperatingSystem.IsWindows()) names.Add("torch_cpu.dll");
        foreach (var name in names)
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        return IntPtr.Zero;
    });
}
