using System.Runtime.Intrinsics.X86;

namespace DeepVision.Tests;

/// <summary>
/// A test of how a process ends on an x86 CPU under Linux or macOS (an integer division by zero traps there, and 128 + n
/// is the signal n); reported as skipped, with that reason, elsewhere. CI runs on Linux x64.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class X86UnixFactAttribute : FactAttribute
{
    public X86UnixFactAttribute()
    {
        if (!X86Base.IsSupported || !(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
            Skip = "needs an x86 CPU under Linux or macOS, where a division by zero in native code ends the process with SIGFPE";
    }
}
