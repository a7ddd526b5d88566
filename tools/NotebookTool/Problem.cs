namespace DeepVision.NotebookTool;

/// <summary>Something a learner should never see, in cell <see cref="Cell"/> (numbered from 1, as VS Code shows cells).</summary>
public sealed record Problem(int Cell, string Message)
{
    public override string ToString() => $"cell {Cell}: {Message}";
}
