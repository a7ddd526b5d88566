namespace DeepVision.NotebookTool;

/// <summary>The engines by the name the command line gives them.</summary>
public enum EngineKind { DotnetRepl, Jupyter }
