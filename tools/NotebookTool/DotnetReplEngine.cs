using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>
/// dotnet-repl (a local tool pinned in .config/dotnet-tools.json): the real kernel, headless. It runs every cell even
/// after a failure, writes dotnet_repl_cellExecutionStartTime on the cells it ran, drops metadata, tags and execution
/// counts, gathers printed text after the displays (put back in order by the stream-order cell) and records every
/// update of a display as an output; <see cref="Merge"/> makes the executed copy from that.
/// </summary>
public sealed class DotnetReplEngine(Repo repo) : IExecutionEngine
{
    public string Name => "dotnet-repl";

    public string Executor => $"dotnet-repl {repo.ToolVersion("dotnet-repl")}";

    public EngineResult Execute(JsonObject prepared, string name, TimeSpan timeout)
    {
        Directory.CreateDirectory(repo.Runs);
        var copy = Path.Combine(repo.Runs, name);
        var raw = Path.Combine(repo.Runs, Path.GetFileNameWithoutExtension(name) + ".repl.ipynb");
        File.Delete(raw);
        Ipynb.Save(copy, OutputOrder.WithStreamOrderCell(prepared));
        // The notebooks' relative paths (#r "../artifacts/…", "../datasets") resolve against the working directory.
        var process = ToolProcess.Run("dotnet", ["tool", "run", "dotnet-repl", "--", "--run", copy, "--exit-after-run", "--output-path", raw], repo.Notebooks, timeout);
        return new EngineResult(File.Exists(raw) ? Merge(prepared, Ipynb.Load(raw)) : null, process);
    }

    /// <summary>
    /// The executed copy: <paramref name="prepared"/> with dotnet-repl's outputs cell by cell, its first cell (the
    /// stream-order cell) left out. A failure is reported once, at its cause: as nbclient and papermill leave them,
    /// the cells after the first failing one are shown unexecuted (dotnet-repl runs them all, so their failures would
    /// only echo the first).
    /// </summary>
    public static JsonObject Merge(JsonObject prepared, JsonObject raw)
    {
        var result = (JsonObject)prepared.DeepClone();
        var cells = Ipynb.Cells(result);
        var rawCells = Ipynb.Cells(raw).ToList();
        if (rawCells.Count != cells.Count + 1)
            throw new NotebookException($"dotnet-repl's output has {rawCells.Count} cells, the notebook {cells.Count} and the tool's stream-order cell");
        if (Ipynb.Outputs(rawCells[0]!).FirstOrDefault(Ipynb.IsError) is { } broken)
            throw new NotebookException($"the tool's stream-order cell failed in the kernel: {broken["evalue"]}");
        rawCells.RemoveAt(0);
        var count = 0;
        var failedBefore = false;
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i]!.AsObject();
            if (!Ipynb.IsCode(cell)) continue;
            var ran = !failedBefore && rawCells[i]!["metadata"]?["dotnet_repl_cellExecutionStartTime"] is not null;
            cell["execution_count"] = ran ? ++count : null;
            List<JsonNode> outputs;
            try { outputs = ran ? OutputOrder.MergeStreams(OutputOrder.KeepLastUpdates(OutputOrder.StreamsInKernelOrder(Ipynb.Outputs(rawCells[i]!)))) : []; }
            catch (NotebookException e) { throw new NotebookException($"cell {i + 1}: {e.Message}"); }
            cell["outputs"] = new JsonArray(outputs.Select(o => o.DeepClone()).ToArray());
            failedBefore |= outputs.Any(Ipynb.IsError);
        }
        return result;
    }
}
