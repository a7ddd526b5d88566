namespace DeepVision.Training;

/// <summary><see cref="TrainingOptions.ChannelsLast"/>: each training batch of images in channels-last layout.</summary>
internal sealed class ChannelsLastBatches : TrainingPlugin
{
    public override Tensor Input(FitState fit, Tensor images) => images.dim() == 4 ? MemoryLayout.ChannelsLast(images) : images;
}
