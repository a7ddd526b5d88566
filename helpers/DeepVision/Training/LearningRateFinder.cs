using DeepVision.Data;
using static TorchSharp.torch.nn;

namespace DeepVision.Training;

/// <summary>
/// What a learning-rate sweep measured: the smoothed training loss at each learning rate it tried, and the rate it
/// suggests (a tenth of the rate with the lowest loss, fast.ai's classic rule: still on the steep part of the curve,
/// safely before the loss blows up), when the loss fell at all.
/// </summary>
public sealed record LearningRateSweep(IReadOnlyList<double> LearningRates, IReadOnlyList<double> Losses)
{
    /// <summary>The learning rate with the lowest smoothed loss.</summary>
    public double LowestLossRate => LearningRates[Losses.Select((l, i) => (l, i)).MinBy(p => p.l).i];

    /// <summary>
    /// Whether the loss fell clearly (by 5% or more) below its value at the start of the sweep. A network that learns
    /// slowly from its initialization can stay flat until the rate is large enough to make it explode: then the curve
    /// shows only the upper limit, and there is no rate to suggest.
    /// </summary>
    public bool Descended => Losses.Min() < 0.95 * Losses[0];

    /// <summary>A tenth of <see cref="LowestLossRate"/>, the rate to train with; null when the loss never fell (<see cref="Descended"/>).</summary>
    public double? Suggestion => Descended ? LowestLossRate / 10 : null;

    /// <summary>The largest rate the sweep reached before the loss exploded (or its last rate).</summary>
    public double LastRate => LearningRates[^1];

    /// <inheritdoc />
    public override string ToString() =>
        $"{LearningRates.Count} learning rates from {LearningRates[0]:G2} to {LastRate:G2}; " +
        (Suggestion is { } rate
            ? $"lowest loss at {LowestLossRate:G2}, suggestion {rate:G2}"
            : $"the loss never fell clearly below its start ({Losses[0]:F3}): no suggestion, only the upper limit where it explodes");
}

/// <summary>
/// The learning-rate range test (Smith 2017, fast.ai's lr_find): train for a few hundred batches while the learning
/// rate grows exponentially from tiny to huge, and watch the loss. It falls once the rate is large enough to learn,
/// and explodes when it is too large; a good rate lies in between. The model gets its weights back afterwards.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>
    /// Sweeps the learning rate of <paramref name="optimizer"/> from <paramref name="start"/> to <paramref name="end"/>
    /// over <paramref name="steps"/> batches (going round <paramref name="train"/> again if it is shorter), stopping
    /// early when the loss is 4 times its lowest value. It is <see cref="Trainer.Fit"/> with the sweep as a plug-in
    /// (<see cref="LearningRateSweeping"/>), computing as <paramref name="compute"/> says (the precision and layout
    /// the real training will use). The model's weights, buffers and mode are restored at the end; the optimizer's
    /// state (momentum) is not, so build a fresh optimizer for the real training.
    /// </summary>
    public static LearningRateSweep Run(Module<Tensor, Tensor> model, BatchLoader train, optim.Optimizer optimizer,
        Module<Tensor, Tensor, Tensor> loss, double start = 1e-7, double end = 10, int steps = 100, ComputeOptions? compute = null)
    {
        if (start <= 0 || end <= start) throw new ArgumentOutOfRangeException(nameof(start), $"The sweep needs 0 < start < end, not start {start} and end {end}.");
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The sweep needs at least 2 steps.");
        if (train.Count == 0) throw new ArgumentException("The training data has no batches.", nameof(train));
        compute ??= ComputeOptions.Default;
        var sweep = new LearningRateSweeping(start, end, steps);
        var saved = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        try
        {
            using var mode = ModelMode.Evaluating(model);   // gives the model back the mode it had before the sweep
            Trainer.Fit(model, train, null, optimizer, loss, new TrainingOptions((steps + train.Count - 1) / train.Count)
            {
                Precision = compute.Precision, ChannelsLast = compute.ChannelsLast, ShowProgress = false, Plugins = [sweep],
            });
        }
        finally
        {
            using (torch.no_grad())
                foreach (var (name, tensor) in model.state_dict()) tensor.copy_(saved[name]);
            foreach (var t in saved.Values) t.Dispose();
            optimizer.zero_grad();
        }
        if (sweep.Rates.Count < 2) throw new InvalidOperationException("The loss was not finite from the first batches on: lower the start of the sweep.");
        return new LearningRateSweep(sweep.Rates, sweep.Losses);
    }
}
