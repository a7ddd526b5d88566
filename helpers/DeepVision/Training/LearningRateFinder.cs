using DeepVision.Data;
using static TorchSharp.torch.nn;

namespace DeepVision.Training;

/// <summary>
/// What a learning-rate sweep measured: the smoothed training loss at each learning rate it tried, and, when the loss
/// fell, the range of rates to train with. The top of the range is the rate with the lowest loss, where the loss stops
/// falling: Smith (2018) takes it as the peak of a one-cycle schedule, whose warm-up and annealing keep the peak
/// brief. The bottom is a tenth of it, fast.ai's classic rule for a constant rate, safely on the falling part of the
/// curve. The suggestion is the geometric middle of the two.
/// </summary>
public sealed record LearningRateSweep(IReadOnlyList<double> LearningRates, IReadOnlyList<double> Losses)
{
    /// <summary>The smallest fall below <see cref="StartLoss"/> that counts as learning: 1%.</summary>
    public const double SmallestFall = 0.01;

    /// <summary>The learning rate with the lowest smoothed loss.</summary>
    public double LowestLossRate => LearningRates[Losses.Select((l, i) => (l, i)).MinBy(p => p.l).i];

    /// <summary>
    /// The loss before the network learns: the median of the first tenth of the sweep (at least 5 points). The very
    /// first points average only a batch or two, so a single one would be a noisy reference.
    /// </summary>
    public double StartLoss
    {
        get
        {
            var first = Losses.Take(Math.Max(5, Losses.Count / 10)).Order().ToList();
            return first[(first.Count - 1) / 2];
        }
    }

    /// <summary>How far the lowest loss lies below <see cref="StartLoss"/>, as a fraction of it.</summary>
    public double Fall => 1 - Losses.Min() / StartLoss;

    /// <summary>
    /// Whether the loss fell by <see cref="SmallestFall"/> or more below <see cref="StartLoss"/>. Measured on 128 px
    /// Imagenette crops (batch 64, 100–200 steps; tests/data/learning-rate-sweeps): MobileNetV2 fell 1.7%, AlexNet
    /// with AdamW 2.7%, ResNet-18 6.5%, a small ViT 12.6%, while AlexNet with SGD from PyTorch's default
    /// initialization, which does not train, wobbled by 0.4%. A network that learns slowly from its initialization
    /// stays flat until the rate is large enough to make it explode: then the curve shows only the upper limit, and
    /// there is no rate to suggest.
    /// </summary>
    public bool Descended => Fall >= SmallestFall;

    /// <summary>The range of rates to train with, from a tenth of <see cref="LowestLossRate"/> to that rate; null when the loss never fell (<see cref="Descended"/>).</summary>
    public (double Low, double High)? SuggestedRange => Descended ? (LowestLossRate / 10, LowestLossRate) : null;

    /// <summary>The geometric middle of <see cref="SuggestedRange"/> (the lowest-loss rate divided by √10 ≈ 3.2); null when the loss never fell.</summary>
    public double? Suggestion => Descended ? LowestLossRate / Math.Sqrt(10) : null;

    /// <summary>The largest rate the sweep reached before the loss exploded (or its last rate).</summary>
    public double LastRate => LearningRates[^1];

    /// <inheritdoc />
    public override string ToString() =>
        $"{LearningRates.Count} learning rates from {LearningRates[0]:G2} to {LastRate:G2}; " +
        (Suggestion is { } rate && SuggestedRange is var (low, high)
            ? $"the loss fell {Fall:P1} from {StartLoss:F3} to its lowest at {high:G2}: train between {low:G2} and {high:G2}, suggestion {rate:G2}"
            : $"the loss fell only {Math.Max(0, Fall):P1} below its start ({StartLoss:F3}), under {SmallestFall:P0}: no suggestion, only the upper limit where it explodes");
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
