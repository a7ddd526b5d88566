using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>What runs a prepared notebook's cells: the real .NET Interactive kernel through dotnet-repl, or through
/// Jupyter's nbclient and the kernel's Jupyter front end.</summary>
public interface IExecutionEngine
{
    /// <summary>The engine's name in statuses and messages ("dotnet-repl", "jupyter").</summary>
    string Name { get; }

    /// <summary>What metadata.deepvision.execution says made the copy, with the pinned version.</summary>
    string Executor { get; }

    /// <summary>
    /// Executes <paramref name="prepared"/> (a notebook named <paramref name="name"/>, its parameters injected) with
    /// notebooks/ as the working directory, and returns the executed copy: the prepared notebook (metadata, tags,
    /// injected cell) with the engine's outputs and execution counts, in the order the kernel produced them; null when
    /// the engine wrote nothing.
    /// </summary>
    EngineResult Execute(JsonObject prepared, string name, TimeSpan timeout);
}

/// <summary>An engine's executed copy (null when it wrote none) and how its process ended.</summary>
public sealed record EngineResult(JsonObject? Executed, ProcessRun Process);

/// <summary>The engines by the name the command line gives them.</summary>
public enum EngineKind { DotnetRepl, Jupyter }

public static class Engines
{
    public static EngineKind Parse(string name) => name switch
    {
        "dotnet-repl" => EngineKind.DotnetRepl,
        "jupyter" => EngineKind.Jupyter,
        _ => throw new UsageException($"unknown engine '{name}': dotnet-repl or jupyter"),
    };

    public static IExecutionEngine Create(EngineKind kind, Repo repo) => kind switch
    {
        EngineKind.DotnetRepl => new DotnetReplEngine(repo),
        EngineKind.Jupyter => new JupyterEngine(repo),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

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

/// <summary>
/// Jupyter: tools/jupyter-run.py executes the notebook with Jupyter's own client (nbclient) and the .NET kernel for
/// Jupyter (dotnet-interactive, pinned in .config/dotnet-tools.json), as JupyterLab or VS Code's Jupyter extension
/// would, stopping at the first failing cell. nbclient stores each stream message as an output; the executed copy
/// merges consecutive ones of a stream, as JupyterLab stores them. Needs Python with nbclient (Debian's
/// python3-nbclient, which build.sh installs).
/// </summary>
public sealed class JupyterEngine(Repo repo) : IExecutionEngine
{
    public string Name => "jupyter";

    public string Executor => $"jupyter nbclient, dotnet-interactive {repo.ToolVersion("microsoft.dotnet-interactive")}";

    public EngineResult Execute(JsonObject prepared, string name, TimeSpan timeout)
    {
        Directory.CreateDirectory(repo.Runs);
        var stem = Path.GetFileNameWithoutExtension(name);
        var input = Path.Combine(repo.Runs, stem + ".jupyter-in.ipynb");
        var output = Path.Combine(repo.Runs, stem + ".jupyter.ipynb");
        File.Delete(output);
        Ipynb.Save(input, prepared);
        var kernels = WriteKernelSpec(Path.Combine(repo.Runs, "jupyter-kernels"));
        // Debian's python3-nbclient belongs to the system's Python; another python3 first on PATH may lack it.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var seconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = ToolProcess.Run(python, [Path.Combine(repo.Root, "tools", "jupyter-run.py"), input, output, "--kernels", kernels, "--timeout", seconds],
            repo.Notebooks, timeout + TimeSpan.FromMinutes(1));
        if (!File.Exists(output)) return new EngineResult(null, process);
        var executed = Ipynb.Load(output);
        foreach (var cell in Ipynb.Cells(executed).Where(Ipynb.IsCode))
            cell!["outputs"] = new JsonArray(OutputOrder.MergeStreams(Ipynb.Outputs(cell)).Select(o => o.DeepClone()).ToArray());
        return new EngineResult(executed, process);
    }

    /// <summary>
    /// A kernel spec for the .NET kernel on this process's dotnet (the fixed host build.sh provides where one is
    /// needed), in a folder only this run's Jupyter looks in (JUPYTER_PATH), so that no user's Jupyter setup changes.
    /// The kernel's HTTP server takes the first free port of its range; two runs started at once (two clones) both saw
    /// 2048 free and one died binding it, so the range starts at random.
    /// </summary>
    private static string WriteKernelSpec(string folder)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var firstPort = 2048 + Random.Shared.Next(900);
        var spec = new JsonObject
        {
            ["argv"] = new JsonArray(host, "tool", "run", "dotnet-interactive", "--", "jupyter", "--default-kernel", "csharp",
                "{connection_file}", "--http-port-range", $"{firstPort}-3000"),
            ["display_name"] = ".NET (C#)",
            ["language"] = "C#",
        };
        var dir = Path.Combine(folder, "kernels", ".net-csharp");
        Directory.CreateDirectory(dir);
        Ipynb.WriteAtomically(Path.Combine(dir, "kernel.json"), spec.ToJsonString(Ipynb.WriteOptions) + "\n");
        return folder;
    }
}
