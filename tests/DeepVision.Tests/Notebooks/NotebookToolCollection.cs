namespace DeepVision.Tests.Notebooks;

/// <summary>The tests that run the repository's notebook tools (tools/notebooks.cs, tools/export.cs) as processes: one at a
/// time, so that no two of them build or write the same tool's output at once.</summary>
[CollectionDefinition(Name)]
public sealed class NotebookToolCollection
{
    public const string Name = "notebook tools";
}
