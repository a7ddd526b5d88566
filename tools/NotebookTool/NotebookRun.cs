using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>One notebook's run: its executed copy (null when there is none), status, time, key results, the injected
/// parameters and the problems the check found.</summary>
public sealed record NotebookRun(
    string Name, JsonObject? Executed, RunStatus Status, TimeSpan Time, IReadOnlyList<string> Results,
    JsonObject Parameters, IReadOnlyList<Problem> Problems);
