using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>metadata.deepvision.recorded: the run whose outputs a notebook stores, and the hash of the code that made them.</summary>
public sealed record Recording(
    string Profile, JsonObject Parameters, string Date, Machine Machine, string Torchsharp, string Libtorch,
    double Seconds, string Executor, string CodeHash);
