namespace DeepVision.NotebookTool;

/// <summary>A notebook the tool cannot work with (unreadable, a profile it lacks, an executed copy that does not match
/// it): said in one line, naming what is wrong.</summary>
public sealed class NotebookException(string message) : Exception(message);
