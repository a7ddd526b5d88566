using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepVision.NotebookTool;

/// <summary>
/// The .ipynb format (nbformat 4) where the tool reads or writes it. A notebook stays its JSON object, kept whole, so
/// that nothing the tool does not know about (other metadata, cell ids, attachments) is lost on the way; these are the
/// few places the tool looks at.
/// </summary>
public static class Ipynb
{
    /// <summary>How the tool writes notebooks: indented by one space, as Jupyter does, non-ASCII text as it is.</summary>
    public static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads a notebook; a file that cannot be read, is not JSON or has no "cells" array is a <see cref="NotebookException"/>.</summary>
    public static JsonObject Load(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) is JsonObject o && o["cells"] is JsonArray
                ? o : throw new NotebookException($"{path}: not a notebook (no \"cells\" array)");
        }
        catch (JsonException e)
        {
            throw new NotebookException($"{path}: not valid JSON ({e.Message})");
        }
        catch (IOException e)
        {
            throw new NotebookException($"{path}: cannot be read ({e.Message})");
        }
    }

    /// <summary>Writes a notebook so that it appears whole or not at all.</summary>
    public static void Save(string path, JsonObject notebook) => WriteAtomically(path, notebook.ToJsonString(WriteOptions) + "\n");

    /// <summary>Writes a file under a temporary name and renames it: a reader never sees half of it.</summary>
    public static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    public static JsonArray Cells(JsonObject notebook) => notebook["cells"]!.AsArray();

    public static bool IsCode(JsonNode? cell) => (string?)cell?["cell_type"] == "code";

    /// <summary>Whether a code cell carries <paramref name="tag"/> in metadata.tags (papermill's "parameters", the tool's own).</summary>
    public static bool HasTag(JsonNode cell, string tag) =>
        IsCode(cell) && cell["metadata"]?["tags"] is JsonArray tags && tags.Any(t => (string?)t == tag);

    /// <summary>A cell's outputs (none for a markdown cell).</summary>
    public static IReadOnlyList<JsonNode> Outputs(JsonNode cell) =>
        cell["outputs"] is JsonArray outputs ? outputs.Select(o => o!).ToList() : [];

    public static string OutputType(JsonNode output) => (string?)output["output_type"] ?? "";

    public static bool IsError(JsonNode output) => OutputType(output) == "error";

    /// <summary>A multiline string of nbformat, stored either as one string or as an array of lines.</summary>
    public static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => "",
    };

    /// <summary>Text as nbformat stores sources and streams: lines, each but the last ending with "\n".</summary>
    public static JsonArray Lines(string text) =>
        new(Regex.Split(text, "(?<=\n)").Where(l => l.Length > 0).Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());

    /// <summary>The text/html of a display output, or "".</summary>
    public static string Html(JsonNode? output) => output?["data"]?["text/html"] is { } h ? Text(h) : "";

    /// <summary>A C# code cell with the metadata Polyglot Notebooks writes, tagged.</summary>
    public static JsonObject CodeCell(string source, string tag) => new()
    {
        ["cell_type"] = "code",
        ["execution_count"] = null,
        ["metadata"] = new JsonObject
        {
            ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
            ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
            ["tags"] = new JsonArray(tag),
        },
        ["outputs"] = new JsonArray(),
        ["source"] = Lines(source),
    };

    /// <summary>A stream output: <paramref name="name"/> is "stdout" or "stderr".</summary>
    public static JsonObject Stream(string name, string text) =>
        new() { ["name"] = name, ["output_type"] = "stream", ["text"] = Lines(text) };

    /// <summary>
    /// SHA-256 of the code cells' sources in order (line endings normalized; the tool's injected cell left out): any
    /// change of code changes it, a change of prose does not.
    /// </summary>
    public static string CodeHash(JsonObject notebook)
    {
        var text = string.Join("\n\u0000\n", Cells(notebook)
            .Where(c => IsCode(c) && !HasTag(c!, ParameterInjection.InjectedTag))
            .Select(c => Text(c!["source"]).Replace("\r\n", "\n")));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Every text an output shows (streams and the text/* data of displays), joined by newlines.</summary>
    public static string AllOutputText(JsonObject notebook) => string.Join("\n", Cells(notebook)
        .SelectMany(c => Outputs(c!))
        .SelectMany(o => new[] { Text(o["text"]) }.Concat((o["data"] as JsonObject)?.Where(d => d.Key.StartsWith("text/", StringComparison.Ordinal)).Select(d => Text(d.Value)) ?? [])));
}
