using System.Text.Json.Nodes;

namespace DeepVision.Tests.Notebooks;

/// <summary>A notebook file read as JSON, with its cells numbered from 1 as VS Code shows them.</summary>
internal sealed record Notebook(JsonObject Root, IReadOnlyList<NotebookCell> Cells)
{
    public static Notebook Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        return new Notebook(root, root["cells"]!.AsArray().Select((c, i) => new NotebookCell(c!.AsObject(), i + 1)).ToList());
    }
}

internal sealed record NotebookCell(JsonObject Json, int Number)
{
    public string CellType => (string)Json["cell_type"]!;
    public bool IsCode => CellType == "code";
    public string Source => Json["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        var v => (string?)v ?? "",
    };
    public bool HasTag(string tag) => Json["metadata"]?["tags"] is JsonArray tags && tags.Any(t => (string?)t == tag);
    public JsonArray Outputs => Json["outputs"]?.AsArray() ?? [];
}
