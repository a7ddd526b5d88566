using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>
/// The course's own part of a notebook's metadata, <c>metadata.deepvision</c>, the one place its path is written:
/// <c>profiles</c> (each profile's parameter values), <c>recording.profile</c> (the profile a recording runs in),
/// <c>recorded</c> (the run whose outputs the notebook stores, <see cref="Recording"/>) and, in an executed copy,
/// <c>execution</c> (the run that made it, <see cref="Execution"/>).
/// </summary>
public static class DeepVisionMetadata
{
    private const string Key = "deepvision";

    /// <summary>metadata.deepvision, or null when the notebook has none.</summary>
    public static JsonObject? Of(JsonObject notebook) => notebook["metadata"]?[Key] as JsonObject;

    /// <summary>metadata.deepvision, added (with metadata) when missing.</summary>
    public static JsonObject GetOrAdd(JsonObject notebook)
    {
        var metadata = notebook["metadata"] as JsonObject ?? (JsonObject)(notebook["metadata"] = new JsonObject());
        return metadata[Key] as JsonObject ?? (JsonObject)(metadata[Key] = new JsonObject());
    }

    /// <summary>The values of profile <paramref name="profile"/>, or null when the notebook lacks it.</summary>
    public static JsonObject? Profile(JsonObject notebook, string profile) => Of(notebook)?["profiles"]?[profile] as JsonObject;

    /// <summary>The profile a recording of this notebook runs in (recording.profile), or null.</summary>
    public static string? RecordingProfile(JsonObject notebook) => (string?)Of(notebook)?["recording"]?["profile"];

    /// <summary>The recorded run (recorded), as stored: verify reads it tolerantly, naming what it lacks.</summary>
    public static JsonObject? Recorded(JsonObject notebook) => Of(notebook)?["recorded"] as JsonObject;

    public static void RemoveRecorded(JsonObject notebook) => Of(notebook)?.Remove("recorded");

    public static void SetRecorded(JsonObject notebook, Recording recording) =>
        GetOrAdd(notebook)["recorded"] = JsonSerializer.SerializeToNode(recording, ToolJson.Default.Recording);

    public static void SetExecution(JsonObject notebook, Execution execution) =>
        GetOrAdd(notebook)["execution"] = JsonSerializer.SerializeToNode(execution, ToolJson.Default.Execution);

    /// <summary>A time as the metadata writes it: UTC, to the second.</summary>
    public static string Date(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
