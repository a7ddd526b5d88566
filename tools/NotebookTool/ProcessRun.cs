namespace DeepVision.NotebookTool;

/// <summary>How an executor process ended: its exit code (-1 when it was stopped), whether it ran past its time, and
/// its console output (stdout and stderr together).</summary>
public sealed record ProcessRun(int ExitCode, bool TimedOut, string Log)
{
    /// <summary>The end of the log, which says why a run failed.</summary>
    public string Tail(int length = 4000) => Log.Length <= length ? Log : "…" + Log[^length..];
}
