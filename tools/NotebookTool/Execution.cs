using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>metadata.deepvision.execution of an executed copy: how it was made and with what result.</summary>
public sealed record Execution(string Executor, string Profile, JsonObject Parameters, string Date, double Seconds, string Status);
