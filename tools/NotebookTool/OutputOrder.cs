using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepVision.NotebookTool;

/// <summary>
/// A cell's outputs as a live viewer (VS Code, JupyterLab) shows them: in the order the kernel produced them, printed
/// text where it was written among the displays, consecutive writes to one stream as one output, and a display that
/// was updated in place as its last state.
/// </summary>
public static class OutputOrder
{
    /// <summary>The tag of the cell that <see cref="WithStreamOrderCell"/> puts first.</summary>
    public const string StreamOrderTag = "injected-stream-order";

    /// <summary>The type of the stream-order cell's displays: this, then "stdout" or "stderr".</summary>
    public const string StreamMime = "application/x.deepvision.stream.";

    /// <summary>The attribute the helpers' LiveDisplay marks each value of one live display with (the tool does not
    /// reference the helpers: NotebookToolPartsTests checks that this is LiveDisplay.MarkerAttribute).</summary>
    public const string LiveMarkerAttribute = "data-deepvision-live";

    /// <summary>
    /// The stream-order cell. dotnet-repl keeps a cell's Console.Out and Console.Error text aside and writes it as one
    /// stdout output after all of the cell's displays (stderr appended to it), so text printed before a chart would
    /// show below it. This cell subscribes to the kernel's events and sends every piece of printed text again, the
    /// moment the kernel produces it, as a display of a type of its own, which dotnet-repl stores in order among the
    /// other displays; <see cref="StreamsInKernelOrder"/> turns those back into stream outputs. Its names are fully
    /// qualified and it declares one type, so that it adds no using and no variable the notebook's cells could meet.
    /// </summary>
    public const string StreamOrderSource = $$"""
        // Injected by tools/notebooks.cs for dotnet-repl, and not part of the executed copy: sends every piece of
        // Console.Out and Console.Error text again as a display, in the order the kernel produces it.
        sealed class DeepVisionNotebookToolStreams : System.IObserver<Microsoft.DotNet.Interactive.Events.KernelEvent>
        {
            public void OnNext(Microsoft.DotNet.Interactive.Events.KernelEvent e)
            {
                var name = e is Microsoft.DotNet.Interactive.Events.StandardOutputValueProduced ? "stdout"
                    : e is Microsoft.DotNet.Interactive.Events.StandardErrorValueProduced ? "stderr" : null;
                if (name is null || Microsoft.DotNet.Interactive.KernelInvocationContext.Current is not { } context) return;
                var text = ((Microsoft.DotNet.Interactive.Events.DisplayEvent)e).FormattedValues.FirstOrDefault(v => v.MimeType == "text/plain")?.Value ?? "";
                context.Publish(new Microsoft.DotNet.Interactive.Events.DisplayedValueProduced(text, e.Command,
                    new[] { new Microsoft.DotNet.Interactive.Formatting.FormattedValue("{{StreamMime}}" + name, text) }));
            }
            public void OnError(System.Exception error) { }
            public void OnCompleted() { }
        }
        Microsoft.DotNet.Interactive.Kernel.Root.KernelEvents.Subscribe(new DeepVisionNotebookToolStreams());
        """;

    /// <summary>A copy of <paramref name="notebook"/> with the stream-order cell first.</summary>
    public static JsonObject WithStreamOrderCell(JsonObject notebook)
    {
        var copy = (JsonObject)notebook.DeepClone();
        Ipynb.Cells(copy).Insert(0, Ipynb.CodeCell(StreamOrderSource, StreamOrderTag));
        return copy;
    }

    /// <summary>
    /// One cell's outputs from dotnet-repl with the stream-order cell's displays turned into stream outputs where the
    /// kernel produced the text, and dotnet-repl's own gathered copy of that text (stdout, then "\n\n" and stderr when
    /// both were written) removed once it is checked to hold exactly the marked text: nothing printed is lost or shown
    /// twice. Anything else would be a <see cref="NotebookException"/>.
    /// </summary>
    public static List<JsonNode> StreamsInKernelOrder(IEnumerable<JsonNode> outputs)
    {
        var result = new List<JsonNode>();
        StringBuilder? stdout = null, stderr = null;   // as dotnet-repl's: null until the first write, however empty
        JsonNode? gathered = null;
        foreach (var output in outputs)
        {
            if (StreamMarker(output) is { } marker)
            {
                if (marker.Name == "stdout") (stdout ??= new()).Append(marker.Text);
                else (stderr ??= new()).Append(marker.Text);
                if (marker.Text.Length > 0) result.Add(Ipynb.Stream(marker.Name, marker.Text));
            }
            else if (Ipynb.OutputType(output) == "stream" && gathered is null) gathered = output;
            else result.Add(output);
        }
        var expected = stdout is not null && stderr is not null ? $"{stdout}\n\n{stderr}" : $"{stdout}{stderr}";
        if (Ipynb.Text(gathered?["text"]) != expected)
            throw new NotebookException("dotnet-repl's printed text differs from the text the kernel sent in order; the outputs cannot be stored in kernel order");
        return result;
    }

    /// <summary>A display of the stream-order cell: its stream name and text; null for any other output.</summary>
    public static (string Name, string Text)? StreamMarker(JsonNode output) =>
        output["data"] is JsonObject { Count: 1 } data && data.First() is var (mime, value)
        && mime.StartsWith(StreamMime, StringComparison.Ordinal) && mime[StreamMime.Length..] is "stdout" or "stderr"
            ? (mime[StreamMime.Length..], Ipynb.Text(value)) : null;

    /// <summary>Consecutive stream outputs of one name as one output, as Jupyter stores them.</summary>
    public static List<JsonNode> MergeStreams(IEnumerable<JsonNode> outputs)
    {
        var merged = new List<JsonNode>();
        foreach (var output in outputs)
        {
            if (Ipynb.OutputType(output) == "stream" && merged.Count > 0 && merged[^1] is var last
                && Ipynb.OutputType(last) == "stream" && (string?)last["name"] == (string?)output["name"])
                merged[^1] = Ipynb.Stream((string?)output["name"] ?? "stdout", Ipynb.Text(last["text"]) + Ipynb.Text(output["text"]));
            else merged.Add(output);
        }
        return merged;
    }

    /// <summary>
    /// dotnet-repl records every update of a display as an output of its own; a live viewer shows only the last, in the
    /// place of the first. A live display of the helpers (LiveDisplay) is known by the id it marks each value with; the
    /// kernel's own package-install display counts only in its final state.
    /// </summary>
    public static List<JsonNode> KeepLastUpdates(IEnumerable<JsonNode> outputs)
    {
        var all = outputs.ToList();
        var kept = new List<JsonNode>();
        var liveAt = new Dictionary<string, int>();
        var installed = all.Any(o => Ipynb.Html(o).Contains("<strong>Installed Packages</strong>"));
        foreach (var output in all)
        {
            var html = Ipynb.Html(output);
            if (installed && html.Contains("<strong>Installing Packages</strong>")) continue;
            var live = Regex.Match(html, LiveMarkerAttribute + "=\"([0-9a-f]+)\"");
            if (live.Success && liveAt.TryGetValue(live.Groups[1].Value, out var at)) { kept[at] = output; continue; }
            if (live.Success) liveAt[live.Groups[1].Value] = kept.Count;
            kept.Add(output);
        }
        return kept;
    }
}
