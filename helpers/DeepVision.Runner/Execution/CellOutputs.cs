using System.Text.Json.Nodes;
using DeepVision.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Runner.Execution;

/// <summary>The outputs of one cell, in the shapes VS Code writes: stream, display_data and error.</summary>
public sealed class CellOutputs
{
    private readonly List<JsonObject> _items = [];
    private readonly Lock _lock = new();

    public JsonArray ToJson()
    {
        lock (_lock) return new JsonArray(_items.Select(i => (JsonNode)i.DeepClone()).ToArray());
    }

    public string StreamText(string name)
    {
        lock (_lock)
            return string.Concat(_items.Where(i => i["output_type"]!.GetValue<string>() == "stream" && i["name"]!.GetValue<string>() == name)
                .SelectMany(i => i["text"]!.AsArray().Select(t => t!.GetValue<string>())));
    }

    public IReadOnlyList<JsonObject> Items { get { lock (_lock) return _items.Select(i => (JsonObject)i.DeepClone()).ToList(); } }

    /// <summary>Appends text to the stream output, merging with the previous output when it is the same stream.</summary>
    public void WriteStream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (_lock)
        {
            string previous = "";
            if (_items.Count > 0 && _items[^1]["output_type"]!.GetValue<string>() == "stream" && _items[^1]["name"]!.GetValue<string>() == name)
            {
                previous = string.Concat(_items[^1]["text"]!.AsArray().Select(t => t!.GetValue<string>()));
                _items.RemoveAt(_items.Count - 1);
            }
            _items.Add(new JsonObject
            {
                ["name"] = name,
                ["output_type"] = "stream",
                ["text"] = NotebookDocument.ToLines(previous + text),
            });
        }
    }

    public int AddDisplay(JsonObject data)
    {
        lock (_lock)
        {
            _items.Add(DisplayData(data));
            return _items.Count - 1;
        }
    }

    public void ReplaceDisplay(int index, JsonObject data)
    {
        lock (_lock) _items[index] = DisplayData(data);
    }

    public void AddError(string evalue, IEnumerable<string> traceback)
    {
        lock (_lock)
            _items.Add(new JsonObject
            {
                ["ename"] = "Error",
                ["evalue"] = evalue,
                ["output_type"] = "error",
                ["traceback"] = new JsonArray(traceback.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            });
    }

    private static JsonObject DisplayData(JsonObject data) => new()
    {
        ["data"] = data,
        ["metadata"] = new JsonObject(),
        ["output_type"] = "display_data",
    };

    /// <summary>
    /// Formats a value into a MIME bundle through Microsoft.DotNet.Interactive.Formatting, as the kernel does: the
    /// requested MIME types, or the preferred ones for the value's type (text/plain for strings, text/html otherwise).
    /// </summary>
    public static JsonObject Format(object? value, IReadOnlyCollection<string> mimeTypes)
    {
        var data = new JsonObject();
        if (value is null)
        {
            data["text/plain"] = NotebookDocument.ToLines("<null>");
            return data;
        }
        var mimes = mimeTypes.Count > 0 ? mimeTypes : Formatter.GetPreferredMimeTypesFor(value.GetType());
        foreach (var mime in mimes)
        {
            var text = value.ToDisplayString(mime);
            // Binary MIME types are stored as one base64 string, text as a list of lines.
            data[mime] = mime.StartsWith("image/", StringComparison.Ordinal) && mime != "image/svg+xml"
                ? JsonValue.Create(text.Trim())
                : NotebookDocument.ToLines(text);
        }
        return data;
    }
}
