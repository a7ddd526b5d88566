namespace DeepVision.Training;

/// <summary>
/// The learning-rate range test as a plug-in of <see cref="Trainer.Fit"/> (what <see cref="LearningRateFinder.Run"/>
/// runs): before each batch every parameter group gets the next rate of an exponential sweep from start to end over
/// the given number of steps; after it the loss is smoothed (an exponential moving average with bias correction, as
/// fast.ai smooths it: single batches are noisy) and recorded. Training stops after the last step, or as soon as the
/// smoothed loss is 4 times its lowest value or not finite (the explosion is left out of the curve: it would dwarf the rest).
/// </summary>
public sealed class LearningRateSweeping : TrainingPlugin
{
    private readonly double start, end;
    private readonly int steps;
    private readonly List<double> rates = [], losses = [];
    private double average, lowest = double.PositiveInfinity, rate;
    private int step;

    /// <summary>A sweep from <paramref name="start"/> to <paramref name="end"/> over <paramref name="steps"/> batches.</summary>
    public LearningRateSweeping(double start, double end, int steps)
    {
        if (start <= 0 || end <= start) throw new ArgumentOutOfRangeException(nameof(start), $"The sweep needs 0 < start < end, not start {start} and end {end}.");
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The sweep needs at least 2 steps.");
        (this.start, this.end, this.steps) = (start, end, steps);
    }

    /// <summary>The rates tried so far, in order.</summary>
    public IReadOnlyList<double> Rates => rates;

    /// <summary>The smoothed loss at each of <see cref="Rates"/>.</summary>
    public IReadOnlyList<double> Losses => losses;

    /// <inheritdoc />
    public override void BeforeBatch(FitState fit)
    {
        rate = start * Math.Pow(end / start, (double)step / (steps - 1));
        foreach (var group in fit.Optimizer.ParamGroups) group.LearningRate = rate;
    }

    /// <inheritdoc />
    public override void AfterBatch(FitState fit)
    {
        average = 0.98 * average + 0.02 * fit.Loss.item<float>();
        var smoothed = average / (1 - Math.Pow(0.98, step + 1));
        step++;
        if (!double.IsFinite(smoothed) || smoothed > 4 * lowest) { fit.Stop = true; return; }
        rates.Add(rate);
        losses.Add(smoothed);
        lowest = Math.Min(lowest, smoothed);
        if (step >= steps) fit.Stop = true;
    }
}
