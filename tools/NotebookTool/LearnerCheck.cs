using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepVision.NotebookTool;

/// <summary>
/// The check of an executed notebook: fails on what a learner should never see: an error output, a rich object shown
/// as its plain-text type name, a <c>&lt;null&gt;</c>, a compiler diagnostic, a cell that draws a chart but shows none.
/// </summary>
public static partial class LearnerCheck
{
    [GeneratedRegex(@"^(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*(?:`\d+)?(?:\[.*\])?$|^(?:LineChart|ImageGrid|Heatmap|ScatterPlot|ModelSummary|Table)\b")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"\b(?:warning|error) CS\d{4}\b|\(\d+,\d+\): (?:warning|error)\b")]
    private static partial Regex Diagnostic();

    [GeneratedRegex(@"\b(?:LineChart|ImageGrid|Heatmap|ScatterPlot)\b")]
    private static partial Regex Draws();

    [GeneratedRegex(@"^(<div[^>]*>)*(<pre>)?&lt;null&gt;(</pre>)?(</div>)*$")]
    private static partial Regex NullHtml();

    public static IReadOnlyList<Problem> Check(JsonObject notebook)
    {
        var problems = new List<Problem>();
        var number = 0;
        var afterFailure = false;
        foreach (var cell in Ipynb.Cells(notebook))
        {
            number++;
            if (!Ipynb.IsCode(cell)) continue;
            var outputs = Ipynb.Outputs(cell!);
            var hasPicture = false;
            foreach (var output in outputs)
            {
                if (Ipynb.IsError(output))
                {
                    problems.Add(new(number, $"error output: {output["ename"]}: {output["evalue"]}"));
                    continue;
                }
                var texts = new List<string>();
                if (Ipynb.OutputType(output) == "stream") texts.Add(Ipynb.Text(output["text"]));
                if (output["data"] is JsonObject data)
                {
                    foreach (var (mime, value) in data)
                        if (mime.StartsWith("text/", StringComparison.Ordinal)) texts.Add(Ipynb.Text(value));
                    var plain = data["text/plain"] is { } p ? Ipynb.Text(p).Trim() : null;
                    if (data.Count == 1 && plain is not null && plain == "<null>") problems.Add(new(number, "shows <null>"));
                    else if (data.Count == 1 && plain is not null && TypeName().IsMatch(plain))
                        problems.Add(new(number, $"a rich object shown as its type name: {plain}"));
                    var html = Ipynb.Html(output);
                    if (NullHtml().IsMatch(html.Trim())) problems.Add(new(number, "shows <null>"));
                    if (data.ContainsKey("image/png") || data.ContainsKey("image/svg+xml") || html.Contains("<img") || html.Contains("<svg")) hasPicture = true;
                }
                foreach (var text in texts)
                    if (Diagnostic().Match(text) is { Success: true } m)
                        problems.Add(new(number, $"compiler diagnostic in an output: {Line(text, m.Index)}"));
            }
            // Cells after a failed one were not run: they show nothing, and that is the failure's doing, said once.
            if (!afterFailure && Draws().IsMatch(Ipynb.Text(cell!["source"])) && !hasPicture) problems.Add(new(number, "draws a chart but shows none"));
            afterFailure |= outputs.Any(Ipynb.IsError);
        }
        return problems;
    }

    /// <summary>The printed lines that start with "Result:", the key results a run states, in order.</summary>
    public static IEnumerable<string> ResultLines(JsonObject notebook) =>
        Ipynb.Cells(notebook).SelectMany(c => Ipynb.Outputs(c!))
            .Where(o => Ipynb.OutputType(o) == "stream")
            .SelectMany(o => Ipynb.Text(o["text"]).Split('\n'))
            .Where(l => l.StartsWith("Result:", StringComparison.Ordinal));

    private static string Line(string text, int index)
    {
        var start = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        var end = text.IndexOf('\n', index);
        var line = text[start..(end < 0 ? text.Length : end)];
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
