using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

/// <summary>A layer that passes its input on and notes how it arrived: in training or evaluation, in which element
/// type (where a model computes in bfloat16) and in which memory layout.</summary>
internal sealed class InputProbe() : Module<Tensor, Tensor>("probe")
{
    public List<(bool Training, ScalarType Type, bool ChannelsLast)> Seen { get; } = [];

    public override Tensor forward(Tensor input)
    {
        Seen.Add((training, input.dtype, MemoryLayout.IsChannelsLast(input)));
        return input.alias();
    }
}
