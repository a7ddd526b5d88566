namespace DeepVision.Training;

/// <summary>
/// A model evaluated with <see cref="ComputeOptions"/> (<see cref="ComputeOptions.Evaluating"/>): in evaluation mode,
/// with bfloat16 weights in mixed precision, each batch laid out and converted as asked and the output handed back in
/// float32. Disposing gives the model its float32 weights and its mode back.
/// </summary>
public sealed class ModelRun : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly ComputeOptions compute;
    private readonly ModelMode.EvaluationScope mode;
    private readonly MixedPrecision? weights;

    internal ModelRun(nn.Module<Tensor, Tensor> model, ComputeOptions compute)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(compute);
        compute.Validate();
        // Every evaluation (Evaluate, Predict, top losses, Grad-CAM, cached features) comes through here: where this CPU's
        // oneDNN computes wrong convolutions, it is limited or switched off before the first one.
        Devices.OneDnnConvolutions.EnsureCheckedAndSaid();
        (this.model, this.compute) = (model, compute);
        mode = ModelMode.Evaluating(model);
        weights = compute.Precision == Precision.MixedBFloat16 ? new MixedPrecision(model, forTraining: false) : null;
    }

    /// <summary>The model's float32 output for a batch.</summary>
    public Tensor Forward(Tensor x) => ComputeOptions.Logits(model.forward(compute.Input(x)));

    /// <summary>The float32 weights and the earlier mode back.</summary>
    public void Dispose()
    {
        weights?.Dispose();
        mode.Dispose();
    }
}
