using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// The CIFAR-10 network of notebook 06: three stages of two 3x3 convolutions (each followed by batch normalization
/// and ReLU) and 2x2 max pooling, at <c>width</c>, 2 x <c>width</c> and 4 x <c>width</c> channels, then dropout and
/// one linear layer from the 4x4 feature maps. Small enough to train on a CPU: 0.29M parameters at width 32.
/// </summary>
public sealed class CifarNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> classifier;

    /// <summary>Builds the network for 32x32 RGB images.</summary>
    public CifarNet(int numClasses = 10, int width = 32, double dropout = 0.2) : base(nameof(CifarNet))
    {
        var layers = new List<Module<Tensor, Tensor>>();
        var channels = 3;
        foreach (var stage in new[] { width, width * 2, width * 4 })
        {
            for (var i = 0; i < 2; i++)
            {
                layers.AddRange([Conv2d(channels, stage, 3, padding: 1, bias: false), BatchNorm2d(stage), ReLU(inplace: true)]);
                channels = stage;
            }
            layers.Add(MaxPool2d(2));
        }
        features = Sequential(layers.Select((layer, i) => (i.ToString(), layer)));
        classifier = Sequential(("0", Flatten()), ("1", Dropout(dropout)), ("2", Linear(channels * 4 * 4, numClasses)));
        RegisterComponents();
        Initialization.Convolutional(this, linearStd: 0.01); // as torchvision's VGG
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return classifier.call(features.call(input)).MoveToOuterDisposeScope();
    }
}
