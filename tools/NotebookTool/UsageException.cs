namespace DeepVision.NotebookTool;

/// <summary>A command line the tool does not understand.</summary>
public sealed class UsageException(string message) : Exception(message);
