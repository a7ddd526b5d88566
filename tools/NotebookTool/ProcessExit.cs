namespace DeepVision.NotebookTool;

/// <summary>What an executor's exit code says beyond its number: on Unix 128 + n is the signal n that ended it.</summary>
public static class ProcessExit
{
    /// <summary>"exit 2", or "exit 136: SIGFPE, an arithmetic fault in native code" with the known cause on this machine.</summary>
    public static string Describe(int exitCode) => exitCode switch
    {
        134 => "exit 134: SIGABRT, native code aborted",
        136 => "exit 136: SIGFPE, an arithmetic fault in native code" + (CpuCacheTopology.Explanation is { } cause ? "; " + cause : ""),
        137 => "exit 137: SIGKILL, killed from outside, often for running out of memory",
        139 => "exit 139: SIGSEGV, a memory fault in native code",
        _ => $"exit {exitCode}",
    };
}
