using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>An engine's executed copy (null when it wrote none) and how its process ended.</summary>
public sealed record EngineResult(JsonObject? Executed, ProcessRun Process);
