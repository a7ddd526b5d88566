namespace DeepVision.Training;

/// <summary>
/// Training images per second in the plain and the channels-last layout, one figure per round of
/// <see cref="TrainingSpeed.CompareLayouts"/>.
/// </summary>
public sealed record LayoutSpeeds(IReadOnlyList<double> Plain, IReadOnlyList<double> ChannelsLast)
{
    /// <summary>Whether channels-last trained faster, comparing each layout's best round.</summary>
    public bool ChannelsLastFaster => ChannelsLast.Max() > Plain.Max();

    /// <summary>The settings for training in the faster layout, in <paramref name="precision"/>.</summary>
    public ComputeOptions Faster(Precision precision) => new(precision, ChannelsLastFaster);

    /// <summary>Both layouts' figures and the choice, as the notebooks print them.</summary>
    public override string ToString() =>
        $"training images/s, plain layout: {string.Join(", ", Plain.Select(s => s.ToString("F0")))}; channels-last: {string.Join(", ", ChannelsLast.Select(s => s.ToString("F0")))}: " +
        $"the training uses the {(ChannelsLastFaster ? "channels-last" : "plain")} layout";
}
