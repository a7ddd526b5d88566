namespace DeepVision.Training;

/// <summary>
/// What <see cref="Trainer.Fit"/>'s progress display shows at a moment: a line of text, the fraction done, whether
/// training has finished (then only the line stays), and the live chart under it, if one was asked for. Plain data:
/// <c>DeepVision.Plots</c> renders it (a progress bar in the kernel).
/// </summary>
public sealed record TrainingStatus(string Text, double Fraction, bool Finished, object? Chart)
{
    /// <inheritdoc />
    public override string ToString() => Text;
}
