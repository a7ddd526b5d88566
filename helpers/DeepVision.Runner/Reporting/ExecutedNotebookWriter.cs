using System.Text.Json.Nodes;
using DeepVision.Runner.Execution;
using DeepVision.Runner.Notebooks;

namespace DeepVision.Runner.Reporting;

/// <summary>
/// The executed copy of a notebook: every input cell and all metadata as they were, with each code cell's outputs,
/// execution count and start/end times (dotnet-repl's cell metadata names) filled in.
/// </summary>
public static class ExecutedNotebookWriter
{
    public static JsonObject Build(NotebookResult result)
    {
        var root = (JsonObject)result.Notebook.Root.DeepClone();
        var cells = root["cells"]!.AsArray();
        foreach (var cellResult in result.Cells)
        {
            var cell = cells[cellResult.Number - 1]!.AsObject();
            if (cellResult.Status == CellStatus.Markdown) continue;
            cell["execution_count"] = cellResult.Status == CellStatus.NotRun ? null : cellResult.ExecutionCount;
            cell["outputs"] = cellResult.Outputs.DeepClone();
            if (cellResult.Start is { } start && cellResult.End is { } end)
            {
                if (cell["metadata"] is not JsonObject metadata) cell["metadata"] = metadata = new JsonObject();
                metadata["dotnet_repl_cellExecutionStartTime"] = start.ToString("O");
                metadata["dotnet_repl_cellExecutionEndTime"] = end.ToString("O");
            }
        }
        return root;
    }

    public static void Write(NotebookResult result, string outputPath)
    {
        if (string.Equals(Path.GetFullPath(outputPath), result.Notebook.Path, StringComparison.Ordinal))
            throw new IOException($"--output-path {outputPath} is the notebook being executed; the runner never overwrites its input. Choose another path.");
        AtomicFile.WriteAllText(outputPath, NotebookDocument.Serialize(Build(result)));
    }
}
