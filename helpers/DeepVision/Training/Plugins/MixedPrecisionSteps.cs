namespace DeepVision.Training;

/// <summary>
/// <see cref="Precision.MixedBFloat16"/>: for each epoch's training the model computes with bfloat16 working copies of
/// its weights (<see cref="MixedPrecision"/>), on bfloat16 batches, and the loss receives float32 logits; the optimizer
/// steps the float32 masters, which are back in the model before evaluation, also when a step threw.
/// </summary>
internal sealed class MixedPrecisionSteps : TrainingPlugin
{
    private MixedPrecision? weights;

    public override void BeforeEpoch(FitState fit) => weights = new MixedPrecision(fit.Model);

    public override Tensor Input(FitState fit, Tensor images) => MixedPrecision.Input(images);

    public override Tensor Output(FitState fit, Tensor output) => ComputeOptions.Logits(output);

    public override void BeforeStep(FitState fit) => weights!.MastersIn();

    public override void AfterStep(FitState fit) => weights!.WorkingIn();

    public override void AfterTraining(FitState fit)
    {
        weights?.Dispose();
        weights = null;
    }
}
