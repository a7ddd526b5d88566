using System.Text.Json.Serialization;

namespace DeepVision.NotebookTool;

/// <summary>
/// The JSON the tool writes from its records (metadata.deepvision.execution and .recorded, the run summary), with
/// property names in camelCase and outcomes as words. Generated at build time: the file-based app that runs the tool
/// is compiled without reflection-based serialization.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(Execution))]
[JsonSerializable(typeof(Recording))]
[JsonSerializable(typeof(RunSummary))]
internal sealed partial class ToolJson : JsonSerializerContext;
