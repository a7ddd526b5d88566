namespace DeepVision.NotebookTool;

/// <summary>One notebook's line of a run's summary.</summary>
public sealed record NotebookSummary(
    string Notebook, bool Passed, Outcome Outcome, string Status, double Seconds, IReadOnlyList<string> Results, IReadOnlyList<string> Problems);
