namespace DeepVision.Training;

/// <summary>The number format <see cref="Trainer.Fit"/> computes in (<see cref="TrainingOptions.Precision"/>).</summary>
public enum Precision
{
    /// <summary>Everything in float32 (the default).</summary>
    Float32,

    /// <summary>
    /// Mixed precision with bfloat16: convolutions and matrix products in bfloat16, which CPUs with AVX-512 BF16 or AMX
    /// (and recent GPUs) run at about twice the float32 rate; float32 master weights, optimizer state, normalization
    /// layers and loss. bfloat16 keeps float32's exponent range, so no loss scaling is needed.
    /// </summary>
    MixedBFloat16,
}
