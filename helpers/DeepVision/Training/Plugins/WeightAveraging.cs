namespace DeepVision.Training;

/// <summary>
/// An exponential moving average of the weights (and batch normalization statistics) over the training steps: every
/// <c>every</c> steps, average ← decay · average + (1 − decay) · weights. With <c>lookahead</c> the model is then set to
/// the average (Zhang et al. 2019's lookahead, as airbench uses it: the fast weights explore, the slow ones keep the
/// ground won); without it the model trains on undisturbed. Either way the model ends training with the average.
/// <c>decay</c> may depend on the progress through training (0 → 1), for averages that tighten towards the end.
/// </summary>
public sealed class WeightAveraging : TrainingPlugin
{
    private readonly Func<double, double> decay;
    private readonly int every;
    private readonly bool lookahead;
    private List<(Tensor Weights, Tensor Average)> pairs = [];
    private long step, totalSteps;

    /// <summary>An average with a fixed <paramref name="decay"/> per update.</summary>
    public WeightAveraging(double decay = 0.999, int every = 1, bool lookahead = false) : this(_ => decay, every, lookahead)
    {
        if (decay is < 0 or > 1 || double.IsNaN(decay)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay is a fraction between 0 and 1.");
    }

    /// <summary>An average whose decay per update is <paramref name="decay"/>(progress through training, 0 → 1).</summary>
    public WeightAveraging(Func<double, double> decay, int every = 1, bool lookahead = false)
    {
        ArgumentNullException.ThrowIfNull(decay);
        if (every <= 0) throw new ArgumentOutOfRangeException(nameof(every), every, "Average every 1 or more steps.");
        (this.decay, this.every, this.lookahead) = (decay, every, lookahead);
    }

    /// <inheritdoc />
    public override void BeforeFit(FitState fit)
    {
        // The model's own float32 tensors, taken before mixed precision swaps in working copies: the optimizer
        // updates these masters in place, so the average reads what the optimizer wrote in every precision.
        using var noGrad = torch.no_grad();
        pairs = [.. fit.Model.state_dict().Values.Where(t => t.is_floating_point())
            .Select(t => (t, t.detach().clone().DetachFromDisposeScope()))];
        step = 0;
        totalSteps = (long)fit.Options.Epochs * fit.Train.Count;
    }

    /// <inheritdoc />
    public override void AfterStep(FitState fit)
    {
        if (++step % every != 0) return;
        var d = decay(Math.Min(1.0, (double)step / Math.Max(totalSteps, 1)));
        if (d is < 0 or > 1 || double.IsNaN(d)) throw new ArgumentOutOfRangeException(nameof(decay), d, "The decay schedule gave a value outside 0..1.");
        using var noGrad = torch.no_grad();
        foreach (var (weights, average) in pairs)
        {
            average.lerp_(weights.to(average.dtype), 1 - d);
            if (lookahead) weights.copy_(average);
        }
    }

    /// <inheritdoc />
    public override void AfterFit(FitState fit)
    {
        using (torch.NewDisposeScope())
        using (torch.no_grad())
            foreach (var (weights, average) in pairs) weights.copy_(average);
        foreach (var (_, average) in pairs) average.Dispose();
        pairs = [];
    }
}
