using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// LeNet-5 (LeCun et al. 1998) in its modern form: two 5x5 convolutions with ReLU and 2x2 max pooling, then
/// 400 → 120 → 84 → classes. For 28x28 grayscale images (the first convolution pads by 2, as 32x32 inputs would
/// need none). With <c>batchNorm</c>, a BatchNorm2d follows the second convolution. Names: <c>features.*</c>,
/// <c>classifier.*</c>, as a PyTorch <c>nn.Sequential</c> model would have them.
/// </summary>
public sealed class LeNet5 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> classifier;

    /// <summary>Builds LeNet-5 for <paramref name="numClasses"/> classes and <paramref name="inChannels"/>-channel images.</summary>
    public LeNet5(int numClasses = 10, bool batchNorm = false, int inChannels = 1) : base(nameof(LeNet5))
    {
        var layers = new List<Module<Tensor, Tensor>> { Conv2d(inChannels, 6, 5, padding: 2), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5) };
        if (batchNorm) layers.Add(BatchNorm2d(16));
        layers.AddRange([ReLU(), MaxPool2d(2)]);
        features = Sequential(layers.Select((layer, i) => (i.ToString(), layer)));
        classifier = Sequential(("0", Flatten()), ("1", Linear(16 * 5 * 5, 120)), ("2", ReLU()), ("3", Linear(120, 84)), ("4", ReLU()), ("5", Linear(84, numClasses)));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return classifier.call(features.call(input)).MoveToOuterDisposeScope();
    }
}
