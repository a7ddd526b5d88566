using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepVision.NotebookTool;

/// <summary>
/// verify: stored outputs come from a recording whose code hash and parameters are the notebook's current ones, pass
/// the learner check, and show every figure the notebook's summary states in bold; every bold figure of the README's
/// results table appears in its notebook's stored outputs.
/// </summary>
public static partial class Verifier
{
    /// <summary>What is wrong with one notebook's stored outputs (nothing for a notebook without outputs or recording).</summary>
    public static List<string> VerifyRecording(JsonObject notebook, string name)
    {
        var problems = new List<string>();
        var recorded = DeepVisionMetadata.Recorded(notebook);
        var hasOutputs = Ipynb.Cells(notebook).Any(c => Ipynb.Outputs(c!).Count > 0);
        if (recorded is null)
        {
            if (hasOutputs) problems.Add("has outputs but no recording (metadata.deepvision.recorded): clear them, or run ./build.sh record notebooks/" + name);
            return problems;
        }
        var fix = $"run ./build.sh record notebooks/{name}";
        if ((string?)recorded["codeHash"] != Ipynb.CodeHash(notebook)) problems.Add($"its code cells changed since the recording of {(string?)recorded["date"]}: the stored outputs are stale; {fix}");
        var profile = (string?)recorded["profile"] ?? "?";
        var expected = profile == ParameterInjection.Full ? new JsonObject() : DeepVisionMetadata.Profile(notebook, profile) ?? new JsonObject();
        if (!JsonNode.DeepEquals(expected, recorded["parameters"])) problems.Add($"its '{profile}' profile changed since the recording; {fix}");
        foreach (var key in new[] { "date", "machine", "torchsharp", "libtorch", "seconds" })
            if (recorded[key] is null) problems.Add($"the recording lacks '{key}'");
        if (!Ipynb.Cells(notebook).Where(Ipynb.IsCode).All(c => c!["execution_count"] is not null))
            problems.Add($"some code cells did not run in the recording; {fix}");
        problems.AddRange(LearnerCheck.Check(notebook).Select(p => p.ToString()));
        var outputs = Normalize(Ipynb.AllOutputText(notebook));
        var summary = Ipynb.Cells(notebook).Select(c => Ipynb.Text(c!["source"])).LastOrDefault(t => t.Contains("## Summary")) ?? "";
        var exercises = summary.IndexOf("## Exercises", StringComparison.Ordinal);
        foreach (var figure in BoldFigures(summary[..(exercises >= 0 ? exercises : summary.Length)]))
            if (!outputs.Contains(Normalize(figure))) problems.Add($"its summary states **{figure}**, which its stored outputs do not show");
        return problems;
    }

    /// <summary>Every bold figure in the README's results table appears in its notebook's stored outputs (which must be recorded).</summary>
    public static List<string> VerifyReadme(Repo repo)
    {
        var problems = new List<string>();
        var readme = Path.Combine(repo.Root, "README.md");
        if (!File.Exists(readme)) return problems;
        foreach (var line in File.ReadLines(readme).Where(l => TableRow().IsMatch(l)))
        {
            var link = Regex.Match(line, @"\((notebooks/[^)]+\.ipynb)\)");
            if (!link.Success) continue;
            var path = Path.Combine(repo.Root, link.Groups[1].Value);
            var figures = BoldFigures(line.Split('|').Reverse().Skip(1).First()).ToList();
            if (figures.Count == 0) continue;
            if (!File.Exists(path)) { problems.Add($"README.md: {link.Groups[1].Value} does not exist"); continue; }
            var notebook = Ipynb.Load(path);
            if (DeepVisionMetadata.Recorded(notebook) is null)
            {
                problems.Add($"README.md: the results of {Path.GetFileName(path)} are stated in bold, but the notebook carries no recorded outputs to back them");
                continue;
            }
            var outputs = Normalize(Ipynb.AllOutputText(notebook));
            foreach (var figure in figures)
                if (!outputs.Contains(Normalize(figure))) problems.Add($"README.md: the row of {Path.GetFileName(path)} states **{figure}**, which the notebook's stored outputs do not show");
        }
        return problems;
    }

    /// <summary>The figures set in bold (**98.63%**, **0.68M**): the results a text claims for the run, as opposed to quoted ones.</summary>
    public static IEnumerable<string> BoldFigures(string markdown) =>
        Bold().Matches(markdown).SelectMany(m => Figure().Matches(m.Groups[1].Value).Select(f => f.Value.Trim()))
            .Where(f => f.Any(char.IsDigit));

    /// <summary>Outputs write "98.63 %" (.NET's percent format) where prose writes "98.63%"; thousands separators are optional.</summary>
    public static string Normalize(string text) => SpacedPercent().Replace(text.Replace("\u00a0", " "), "$1%").Replace(",", "");

    [GeneratedRegex(@"^\| \d\d \| \[")]
    private static partial Regex TableRow();

    [GeneratedRegex(@"\*\*([^*]+)\*\*")]
    private static partial Regex Bold();

    [GeneratedRegex(@"(?<![A-Za-z0-9_.])[0-9][0-9,]*(?:\.[0-9]+)?\s?%?")]
    private static partial Regex Figure();

    [GeneratedRegex(@"(\d) %")]
    private static partial Regex SpacedPercent();
}
