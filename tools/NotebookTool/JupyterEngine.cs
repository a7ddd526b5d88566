using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

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
