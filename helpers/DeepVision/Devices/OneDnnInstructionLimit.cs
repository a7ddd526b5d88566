using System.Runtime.InteropServices;

namespace DeepVision.Devices;

/// <summary>
/// Limits libtorch's oneDNN to its SSE4.1 kernels for this process, through oneDNN's own setting, the environment
/// variable <c>ONEDNN_MAX_CPU_ISA</c>, which oneDNN reads once, when it first computes (libtorch exports no function
/// for it, nor one that says which kernels oneDNN chose). It must therefore be set before anything in the process
/// computes with oneDNN; set later, it does nothing, and the check that follows (<see cref="OneDnnConvolutions"/>) finds
/// the kernels as wrong as before. A value the user set is left as it is.
/// </summary>
internal static class OneDnnInstructionLimit
{
    /// <summary>oneDNN's setting.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>oneDNN's older name for the same setting, which it still reads.</summary>
    public const string OlderVariable = "DNNL_MAX_CPU_ISA";

    /// <summary>The value that limits oneDNN to its SSE4.1 kernels.</summary>
    public const string Sse41 = "SSE41";

    // oneDNN's instruction sets without bfloat16 instructions: with the setting at one of these, bfloat16 is slow.
    private static readonly HashSet<string> WithoutBFloat16 = new(StringComparer.OrdinalIgnoreCase)
        { Sse41, "AVX", "AVX2", "AVX2_VNNI", "AVX512_CORE", "AVX512_CORE_VNNI" };

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    /// <summary>Null where the limit is set; otherwise why it was not (the user set the variable, or no C library was
    /// found to set it in).</summary>
    public static string? TryLimitToSse41()
    {
        foreach (var name in new[] { Variable, OlderVariable })
            if (Read(name) is { Length: > 0 } value)
                return $"{name} is set to \"{value}\", and was left as it is";
        // Once, before oneDNN computes: the C library's setenv is not safe beside another thread's getenv.
        return Write(Variable, Sse41);
    }

    /// <summary>oneDNN's setting as oneDNN reads it (either name), or null where neither is set.</summary>
    public static string? Current() => Read(Variable) ?? Read(OlderVariable);

    /// <summary>Whether oneDNN's setting caps it at an instruction set without bfloat16 instructions (SSE4.1 to
    /// AVX-512 VNNI), the helpers' limit or the user's: then bfloat16 computes slowly.</summary>
    public static bool WithoutFastBFloat16 => Current() is { } value && WithoutBFloat16.Contains(value.Trim());

    /// <summary>
    /// An environment variable as native code reads it: on Windows the process's environment block (which .NET
    /// reads and writes too), elsewhere the C library's, of which .NET keeps a copy of its own, taken at start.
    /// </summary>
    internal static string? Read(string name)
    {
        if (OperatingSystem.IsWindows()) return Environment.GetEnvironmentVariable(name);
        return Export("getenv") is { } getenv && Marshal.GetDelegateForFunctionPointer<GetEnv>(getenv)(name) is var value && value != IntPtr.Zero
            ? Marshal.PtrToStringUTF8(value)
            : null;
    }

    /// <summary>Sets an environment variable where native code reads it (see <see cref="Read"/>); null where it did,
    /// otherwise why not.</summary>
    internal static string? Write(string name, string value)
    {
        if (OperatingSystem.IsWindows())
        {
            // The process's environment block, which oneDNN reads there (and child processes inherit).
            Environment.SetEnvironmentVariable(name, value);
            return null;
        }
        if (Export("setenv") is not { } setenv) return "no C library with setenv was found to set it in";
        return Marshal.GetDelegateForFunctionPointer<SetEnv>(setenv)(name, value, 1) == 0 ? null : "setenv failed";
    }

    // The process's global symbols: the C library that the runtime and libtorch share, whichever it is.
    private static IntPtr? Export(string name) =>
        NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), name, out var address) ? address : null;
}
