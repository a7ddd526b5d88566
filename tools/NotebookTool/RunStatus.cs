namespace DeepVision.NotebookTool;

/// <summary>A run's outcome and the line that says it ("passed", "failed: 2 problems", "timed out after 600 s", …).</summary>
public sealed record RunStatus(Outcome Outcome, string Text)
{
    public bool Passed => Outcome == Outcome.Passed;

    public override string ToString() => Text;

    public static RunStatus Of(IExecutionEngine engine, ProcessRun process, int problems, TimeSpan timeout, bool executed) =>
        process.TimedOut ? new(Outcome.TimedOut, $"timed out after {timeout.TotalSeconds:F0} s")
        : !executed ? new(Outcome.EngineFailed, $"{engine.Name} failed ({ProcessExit.Describe(process.ExitCode)})")
        : problems > 0 ? new(Outcome.Problems, $"failed: {problems} problem{(problems == 1 ? "" : "s")}")
        : process.ExitCode != 0 ? new(Outcome.EngineError, $"failed ({engine.Name} {ProcessExit.Describe(process.ExitCode)})")
        : new(Outcome.Passed, "passed");

    public static RunStatus Refused(string message) => new(Outcome.Refused, "failed: " + message);
}
