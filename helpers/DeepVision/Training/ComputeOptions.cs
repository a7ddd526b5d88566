namespace DeepVision.Training;

/// <summary>
/// How a model computes, in training and wherever it is evaluated (<see cref="Trainer.Evaluate"/>,
/// <see cref="Trainer.Predict"/>, top losses, Grad-CAM, the learning-rate finder): the number format and the memory
/// layout of image batches. <see cref="TrainingOptions.Compute"/> gives a training run's settings, so that the same
/// ones can be handed to what evaluates its model afterwards.
/// </summary>
/// <param name="Precision">float32 (default) or bfloat16 mixed precision (<see cref="Training.Precision"/>).</param>
/// <param name="ChannelsLast">Image batches in channels-last layout (<see cref="MemoryLayout.ChannelsLast"/>).</param>
public sealed record ComputeOptions(Precision Precision = Precision.Float32, bool ChannelsLast = false)
{
    /// <summary>float32, plain layout: what a model computes in when nothing else is asked for.</summary>
    public static ComputeOptions Default { get; } = new();

    /// <summary>An image batch in the layout and number format asked for (other inputs keep their layout).</summary>
    public Tensor Input(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (ChannelsLast && x.dim() == 4) x = MemoryLayout.ChannelsLast(x);
        return Precision == Precision.MixedBFloat16 ? MixedPrecision.Input(x) : x;
    }

    /// <summary>The model's output as float32: softmax and log over 10 or 1,000 classes need the precision.</summary>
    public static Tensor Logits(Tensor output) => output.dtype == ScalarType.Float32 || !output.is_floating_point() ? output : output.to(ScalarType.Float32);

    /// <summary>
    /// Evaluation mode and, in mixed precision, bfloat16 copies of the weights until the run is disposed; then the
    /// model has its float32 weights and its mode back (<see cref="ModelMode.Evaluating"/>). Gradients stay on, for
    /// Grad-CAM: callers that need none add <c>torch.no_grad()</c>.
    /// </summary>
    public ModelRun Evaluating(nn.Module<Tensor, Tensor> model) => new(model, this);

    internal void Validate()
    {
        if (!Enum.IsDefined(Precision)) throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Precision is Precision.Float32 or Precision.MixedBFloat16.");
    }
}
