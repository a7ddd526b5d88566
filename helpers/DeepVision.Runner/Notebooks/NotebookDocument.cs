using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepVision.Runner.Notebooks;

/// <summary>A Polyglot notebook (.ipynb) as JSON, kept whole so that the executed copy changes only outputs.</summary>
public sealed class NotebookDocument
{
    private NotebookDocument(string path, JsonObject root, IReadOnlyList<NotebookCell> cells)
    {
        Path = path;
        Root = root;
        Cells = cells;
    }

    public string Path { get; }
    public JsonObject Root { get; }
    public IReadOnlyList<NotebookCell> Cells { get; }

    /// <summary>The kernel a cell runs in when it names none: the notebook's default (csharp for .net-csharp).</summary>
    public string DefaultKernel =>
        Root["metadata"]?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>()
        ?? KernelFromKernelspec(Root["metadata"]?["kernelspec"]?["name"]?.GetValue<string>())
        ?? "csharp";

    private static string? KernelFromKernelspec(string? name) =>
        name is not null && name.StartsWith(".net-", StringComparison.Ordinal) ? name[".net-".Length..] : null;

    /// <summary>Reads and checks a notebook; every problem names the file and what was expected.</summary>
    public static NotebookDocument Load(string path)
    {
        if (!File.Exists(path))
            throw new NotebookFormatException(path, "the file does not exist.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new NotebookFormatException(path,
                $"it is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message.Split(" LineNumber")[0]}");
        }
        if (node is not JsonObject root)
            throw new NotebookFormatException(path, "the top level must be a JSON object with 'cells', 'metadata' and 'nbformat'.");
        if (root["nbformat"] is not JsonValue format || !format.TryGetValue<int>(out var major) || major != 4)
            throw new NotebookFormatException(path, "it must be an nbformat 4 notebook ('nbformat': 4).");
        if (root["cells"] is not JsonArray cellArray)
            throw new NotebookFormatException(path, "it has no 'cells' array.");

        var cells = new List<NotebookCell>();
        for (var i = 0; i < cellArray.Count; i++)
        {
            if (cellArray[i] is not JsonObject cell)
                throw new NotebookFormatException(path, $"cell {i + 1} is not a JSON object.");
            var type = cell["cell_type"]?.GetValue<string>()
                       ?? throw new NotebookFormatException(path, $"cell {i + 1} has no 'cell_type'.");
            cells.Add(new NotebookCell(i, type, ReadSource(path, i, cell["source"]), cell));
        }
        return new NotebookDocument(System.IO.Path.GetFullPath(path), root, cells);
    }

    private static string ReadSource(string path, int index, JsonNode? source) => source switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>() ?? "")),
        _ => throw new NotebookFormatException(path, $"cell {index + 1} has a 'source' that is neither a string nor a list of strings."),
    };

    /// <summary>Splits text into nbformat's multi-line form: every line keeps its '\n' except the last.</summary>
    public static JsonArray ToLines(string text)
    {
        var array = new JsonArray();
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0) { array.Add(text[start..]); break; }
            array.Add(text[start..(end + 1)]);
            start = end + 1;
        }
        return array;
    }

    /// <summary>Serializes like VS Code: one-space indentation, keys in the order they were read.</summary>
    public static string Serialize(JsonNode root)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            IndentSize = 1,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        return root.ToJsonString(options) + "\n";
    }
}

/// <summary>One cell of a notebook: its index, type, source text and the JSON it came from.</summary>
public sealed record NotebookCell(int Index, string CellType, string Source, JsonObject Json)
{
    /// <summary>1-based number used in every message, as a person counts cells.</summary>
    public int Number => Index + 1;

    public bool IsCode => CellType == "code";

    /// <summary>The kernel named in the cell's metadata (newer polyglot_notebook wins over dotnet_interactive).</summary>
    public string? KernelName =>
        Json["metadata"]?["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
        ?? Json["metadata"]?["dotnet_interactive"]?["language"]?.GetValue<string>();

    public bool HasTag(string tag) =>
        Json["metadata"]?["tags"] is JsonArray tags && tags.Any(t => t?.GetValue<string>() == tag);
}

/// <summary>A notebook file that cannot be read; the message names the file and what was expected.</summary>
public sealed class NotebookFormatException(string path, string problem)
    : Exception($"{path}: cannot read the notebook: {problem}")
{
    public string NotebookPath { get; } = path;
}
