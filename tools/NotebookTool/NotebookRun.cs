using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DeepVision.NotebookTool;

/// <summary>How a notebook's run ended.</summary>
public enum Outcome
{
    /// <summary>Every cell ran and the check found nothing.</summary>
    [JsonStringEnumMemberName("passed")]
    Passed,
    /// <summary>The executed copy shows what a learner should not see (an error output among them).</summary>
    [JsonStringEnumMemberName("problems")]
    Problems,
    /// <summary>The engine wrote an executed copy without problems but exited with an error.</summary>
    [JsonStringEnumMemberName("engine-error")]
    EngineError,
    /// <summary>The engine wrote no executed copy.</summary>
    [JsonStringEnumMemberName("engine-failed")]
    EngineFailed,
    /// <summary>The run took longer than its timeout and was stopped.</summary>
    [JsonStringEnumMemberName("timed-out")]
    TimedOut,
    /// <summary>The notebook could not be run (unreadable, a profile it lacks, an executed copy that does not match it).</summary>
    [JsonStringEnumMemberName("refused")]
    Refused,
}

/// <summary>A run's outcome and the line that says it ("passed", "failed: 2 problems", "timed out after 600 s", …).</summary>
public sealed record RunStatus(Outcome Outcome, string Text)
{
    public bool Passed => Outcome == Outcome.Passed;

    public override string ToString() => Text;

    public static RunStatus Of(IExecutionEngine engine, ProcessRun process, int problems, TimeSpan timeout, bool executed) =>
        process.TimedOut ? new(Outcome.TimedOut, $"timed out after {timeout.TotalSeconds:F0} s")
        : !executed ? new(Outcome.EngineFailed, $"{engine.Name} failed (exit {process.ExitCode})")
        : problems > 0 ? new(Outcome.Problems, $"failed: {problems} problem{(problems == 1 ? "" : "s")}")
        : process.ExitCode != 0 ? new(Outcome.EngineError, $"failed ({engine.Name} exit {process.ExitCode})")
        : new(Outcome.Passed, "passed");

    public static RunStatus Refused(string message) => new(Outcome.Refused, "failed: " + message);
}

/// <summary>One notebook's run: its executed copy (null when there is none), status, time, key results, the injected
/// parameters and the problems the check found.</summary>
public sealed record NotebookRun(
    string Name, JsonObject? Executed, RunStatus Status, TimeSpan Time, IReadOnlyList<string> Results,
    JsonObject Parameters, IReadOnlyList<Problem> Problems);

/// <summary>Runs one notebook in a profile with an engine and checks it; the source notebook is never written.</summary>
public static class NotebookRunner
{
    public static NotebookRun Run(string input, string profile, TimeSpan timeout, IExecutionEngine engine, TextWriter log)
    {
        var name = Path.GetFileName(input);
        log.WriteLine($"── {name} ({profile} profile)");
        var watch = Stopwatch.StartNew();
        RunStatus status;
        JsonObject? executed = null;
        var parameters = new JsonObject();
        IReadOnlyList<Problem> problems = [];
        IReadOnlyList<string> results = [];
        try
        {
            var prepared = ParameterInjection.Inject(Ipynb.Load(input), profile);
            parameters = prepared.Parameters;
            var run = engine.Execute(prepared.Notebook, name, timeout);
            executed = run.Executed;
            if (executed is not null)
            {
                problems = LearnerCheck.Check(executed);
                results = LearnerCheck.ResultLines(executed).Select(l => l["Result:".Length..].Trim()).ToList();
            }
            status = RunStatus.Of(engine, run.Process, problems.Count, timeout, executed is not null);
            foreach (var p in problems) log.WriteLine($"   {name}: {p}");
            if (!status.Passed && problems.Count == 0) log.WriteLine(run.Process.Tail());
            if (executed is not null)
                DeepVisionMetadata.SetExecution(executed, new Execution(engine.Executor, profile, (JsonObject)parameters.DeepClone(),
                    DeepVisionMetadata.Date(DateTime.UtcNow), Math.Round(watch.Elapsed.TotalSeconds, 1), status.Text));
        }
        catch (NotebookException e)
        {
            status = RunStatus.Refused(e.Message);
            log.WriteLine($"   {name}: {e.Message}");
        }
        log.WriteLine($"   {status}, {watch.Elapsed.TotalSeconds:F0} s");
        return new NotebookRun(name, executed, status, watch.Elapsed, results, parameters, problems);
    }
}
