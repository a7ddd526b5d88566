using System.Diagnostics;
using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

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
