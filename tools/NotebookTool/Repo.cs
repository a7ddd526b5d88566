using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>The repository the tool works in: where the notebooks, the artifacts and the pinned .NET tools are.</summary>
public sealed record Repo(string Root)
{
    /// <summary>The repository around the current directory (the one holding DeepVision.slnx).</summary>
    public static Repo Find()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DeepVision.slnx"))) return new Repo(dir.FullName);
        throw new UsageException("run this from inside the DeepVision repository");
    }

    /// <summary>notebooks/: the course, and the working directory its relative paths start from.</summary>
    public string Notebooks => Path.Combine(Root, "notebooks");

    /// <summary>artifacts/notebook-runs/: the copies an executor runs and what it writes.</summary>
    public string Runs => Path.Combine(Root, "artifacts", "notebook-runs");

    public string DefaultOut => Path.Combine(Root, "artifacts", "notebooks");

    public IEnumerable<string> CourseNotebooks() => Directory.GetFiles(Notebooks, "*.ipynb").Order(StringComparer.Ordinal);

    public string Relative(string path) => Path.GetRelativePath(Root, path);

    /// <summary>A local .NET tool's pinned version (.config/dotnet-tools.json), or "?".</summary>
    public string ToolVersion(string tool) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Root, ".config", "dotnet-tools.json")))?["tools"]?[tool]?["version"]?.GetValue<string>() ?? "?";
}
