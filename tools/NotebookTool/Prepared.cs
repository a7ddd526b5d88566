using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>A notebook made ready to execute in a profile, and the values that were injected.</summary>
public sealed record Prepared(JsonObject Notebook, JsonObject Parameters);
