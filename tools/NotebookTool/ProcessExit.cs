namespace DeepVision.NotebookTool;

/// <summary>What an executor's exit code says beyond its number: on Linux and macOS, 128 + n is the signal n that ended it.</summary>
public static class ProcessExit
{
    /// <summary>"exit 2", or "exit 136: SIGFPE, an arithmetic fault in native code" with the known cause on this machine.</summary>
    public static string Describe(int exitCode)
    {
        if (OperatingSystem.IsWindows() || exitCode <= 128 || exitCode > 128 + 64) return $"exit {exitCode}";
        var signal = exitCode - 128;
        // The numbers that Linux and macOS share.
        var meaning = signal switch
        {
            4 => "SIGILL, an instruction this CPU lacks, in native code",
            6 => "SIGABRT, native code aborted",
            8 => "SIGFPE, an arithmetic fault in native code" + (CpuCacheTopology.Explanation is { } cause ? "; " + cause : ""),
            9 => "SIGKILL, killed from outside, often for running out of memory",
            11 => "SIGSEGV, a memory fault in native code",
            _ => $"signal {signal}",
        };
        return $"exit {exitCode}: {meaning}";
    }
}
