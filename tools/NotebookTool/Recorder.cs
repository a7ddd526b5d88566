using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepVision.NotebookTool;

/// <summary>
/// record: a notebook runs in dotnet-repl in its recording profile and, when the run passes, its outputs are written
/// into the notebook in notebooks/ (sources untouched) with metadata.deepvision.recorded. The only writer of notebooks/.
/// </summary>
public static class Recorder
{
    /// <summary>Records each notebook; the count of those not recorded.</summary>
    public static int Record(IReadOnlyList<string> inputs, string? givenProfile, TimeSpan timeout, IExecutionEngine engine, TextWriter log)
    {
        var failed = 0;
        foreach (var input in inputs)
        {
            var name = Path.GetFileName(input);
            var source = Ipynb.Load(input);
            var profile = givenProfile ?? DeepVisionMetadata.RecordingProfile(source) ?? ParameterInjection.Full;
            var run = NotebookRunner.Run(input, profile, timeout, engine, log);
            if (run.Executed is null || !run.Status.Passed)
            {
                log.WriteLine($"   {name}: not recorded ({run.Status}); the notebook is unchanged");
                failed++;
                continue;
            }
            // The notebook as it is now: prose edited during a long run is kept; changed code means the run is stale.
            var current = Ipynb.Load(input);
            if (Ipynb.CodeHash(current) != Ipynb.CodeHash(source))
            {
                log.WriteLine($"   {name}: not recorded: its code cells changed while it ran; record it again");
                failed++;
                continue;
            }
            JsonObject recorded;
            try { recorded = WithOutputs(current, run.Executed); }
            catch (NotebookException e)
            {
                log.WriteLine($"   {name}: not recorded: {e.Message} (cells were added or removed while it ran); record it again");
                failed++;
                continue;
            }
            var versions = Regex.Match(Ipynb.AllOutputText(run.Executed), @"TorchSharp ([0-9][0-9.]*), libtorch ([0-9][0-9.]*)");
            DeepVisionMetadata.SetRecorded(recorded, new Recording(
                profile, (JsonObject)run.Parameters.DeepClone(), DeepVisionMetadata.Date(DateTime.UtcNow), Machine.This(),
                versions.Success ? versions.Groups[1].Value : "unknown", versions.Success ? versions.Groups[2].Value : "unknown",
                Math.Round(run.Time.TotalSeconds, 1), engine.Executor, Ipynb.CodeHash(current)));
            Ipynb.Save(input, recorded);
            log.WriteLine($"   {name}: recorded ({profile} profile, {run.Time.TotalMinutes:F1} min){(run.Results.Count > 0 ? ": " + string.Join("; ", run.Results) : "")}");
        }
        log.WriteLine($"\nrecord: {inputs.Count - failed} recorded, {failed} not");
        return failed;
    }

    /// <summary>The source notebook with the executed copy's outputs and execution counts; the injected cell is not carried over.</summary>
    public static JsonObject WithOutputs(JsonObject source, JsonObject executed)
    {
        var result = (JsonObject)source.DeepClone();
        var executedCells = Ipynb.Cells(executed).Where(c => !Ipynb.HasTag(c!, ParameterInjection.InjectedTag)).ToList();
        var cells = Ipynb.Cells(result);
        if (executedCells.Count != cells.Count) throw new NotebookException($"the executed copy has {executedCells.Count} cells, the notebook {cells.Count}");
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i]!.AsObject();
            if (!Ipynb.IsCode(cell)) continue;
            if (Ipynb.Text(cell["source"]) != Ipynb.Text(executedCells[i]!["source"])) throw new NotebookException($"cell {i + 1} differs between the notebook and its executed copy");
            cell["execution_count"] = executedCells[i]!["execution_count"]?.DeepClone();
            // The kernel's "Loading extensions from /home/…" lines name the recording machine's folders and say nothing.
            cell["outputs"] = new JsonArray(Ipynb.Outputs(executedCells[i]!)
                .Where(o => !Ipynb.Text(o["data"]?["text/plain"]).StartsWith("Loading extensions from ", StringComparison.Ordinal))
                .Select(o => o.DeepClone()).ToArray());
        }
        return result;
    }
}
