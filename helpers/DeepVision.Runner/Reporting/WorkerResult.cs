using System.Text.Json.Nodes;
using DeepVision.Runner.Execution;
using DeepVision.Runner.Notebooks;

namespace DeepVision.Runner.Reporting;

/// <summary>How a worker process hands one notebook's result back to the runner that started it.</summary>
public static class WorkerResult
{
    public static void Save(NotebookResult result, string path)
    {
        var cells = new JsonArray();
        foreach (var c in result.Cells)
            cells.Add(new JsonObject
            {
                ["number"] = c.Number,
                ["status"] = c.Status.ToString(),
                ["outputs"] = c.Outputs.DeepClone(),
                ["execution_count"] = c.ExecutionCount,
                ["start"] = c.Start?.ToString("O"),
                ["end"] = c.End?.ToString("O"),
                ["error"] = c.Error,
            });
        var root = new JsonObject
        {
            ["notebook"] = result.Notebook.Path,
            ["elapsed_seconds"] = result.Elapsed.TotalSeconds,
            ["profile"] = result.Profile,
            ["cells"] = cells,
        };
        AtomicFile.WriteAllText(path, root.ToJsonString());
    }

    public static NotebookResult Load(string path, NotebookDocument notebook)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var cells = root["cells"]!.AsArray().Select(n => n!.AsObject()).Select(c => new CellResult(
            c["number"]!.GetValue<int>(),
            Enum.Parse<CellStatus>(c["status"]!.GetValue<string>()),
            c["outputs"]!.AsArray().DeepClone().AsArray(),
            c["execution_count"]?.GetValue<int>(),
            c["start"] is { } s ? DateTimeOffset.Parse(s.GetValue<string>()) : null,
            c["end"] is { } e ? DateTimeOffset.Parse(e.GetValue<string>()) : null,
            c["error"]?.GetValue<string>())).ToList();
        return new NotebookResult(notebook, cells, TimeSpan.FromSeconds(root["elapsed_seconds"]!.GetValue<double>()), root["profile"]?.GetValue<string>());
    }
}
