using System.Text.Json.Serialization;

namespace DeepVision.NotebookTool;

/// <summary>How a notebook's run ended.</summary>
public enum Outcome
{
    /// <summary>Every cell ran and the check found nothing.</summary>
    [JsonStringEnumMemberName("passed")]
    Passed,
    /// <summary>The executed copy shows what a learner should not see (an error output among them).</summary>
    [JsonStringEnumMemberName("problems")]
    Problems,
    /// <summary>The engine wrote an executed copy without problems but exited with an error.</summary>
    [JsonStringEnumMemberName("engine-error")]
    EngineError,
    /// <summary>The engine wrote no executed copy.</summary>
    [JsonStringEnumMemberName("engine-failed")]
    EngineFailed,
    /// <summary>The run took longer than its timeout and was stopped.</summary>
    [JsonStringEnumMemberName("timed-out")]
    TimedOut,
    /// <summary>The notebook could not be run (unreadable, a profile it lacks, an executed copy that does not match it).</summary>
    [JsonStringEnumMemberName("refused")]
    Refused,
}
