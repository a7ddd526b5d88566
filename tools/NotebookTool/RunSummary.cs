using System.Text;
using System.Text.Json;

namespace DeepVision.NotebookTool;

/// <summary>
/// What a run of notebooks ends with, for people (a Markdown table: notebook, status, time, key results) and for
/// scripts (JSON: build.sh reads the counts from it, never from the console).
/// </summary>
public sealed record RunSummary(string Engine, string Profile, int Passed, int Failed, IReadOnlyList<NotebookSummary> Notebooks)
{
    public static RunSummary Of(IExecutionEngine engine, string profile, IReadOnlyList<NotebookRun> runs)
    {
        var rows = runs.Select(r => new NotebookSummary(r.Name, r.Status.Passed, r.Status.Outcome, r.Status.Text,
            Math.Round(r.Time.TotalSeconds, 3), r.Results, r.Problems.Select(p => p.ToString()).ToList())).ToList();
        var failed = rows.Count(r => !r.Passed);
        return new RunSummary(engine.Name, profile, rows.Count - failed, failed, rows);
    }

    public string Table()
    {
        var table = new StringBuilder();
        table.AppendLine($"| notebook | status | time | key results ({Profile} profile) |").AppendLine("|---|---|---|---|");
        foreach (var r in Notebooks) table.AppendLine($"| {r.Notebook} | {r.Status} | {r.Seconds:F0} s | {string.Join("; ", r.Results).Replace("|", "\\|")} |");
        return table.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, ToolJson.Default.RunSummary) + "\n";

    public static RunSummary FromJson(string json) => JsonSerializer.Deserialize(json, ToolJson.Default.RunSummary)
        ?? throw new NotebookException("the summary is empty");

    /// <summary>The summary's files in <paramref name="folder"/>: summary-PROFILE.md and summary-PROFILE.json.</summary>
    public void WriteTo(string folder)
    {
        File.WriteAllText(Path.Combine(folder, $"summary-{Profile}.md"), Table());
        Ipynb.WriteAtomically(Path.Combine(folder, $"summary-{Profile}.json"), ToJson());
    }
}
