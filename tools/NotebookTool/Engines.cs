namespace DeepVision.NotebookTool;

/// <summary>The engines by the name the command line gives them: parsed, and created for a repository.</summary>
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
