using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// AlexNet as torchvision builds it (Krizhevsky et al. 2012, single-GPU variant): five convolutions, overlapping
/// 3x3 stride-2 max pooling, adaptive average pooling to 6x6, three fully connected layers with dropout 0.5.
/// Parameter names match torchvision's state_dict (<c>features.0.weight</c> … <c>classifier.6.bias</c>).
/// </summary>
public sealed class AlexNet : ImageClassifier
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> avgpool;
    private Module<Tensor, Tensor> classifier;

    /// <summary>Builds the network with <paramref name="numClasses"/> outputs and the given dropout.</summary>
    public AlexNet(int numClasses = 1000, double dropout = 0.5) : base(nameof(AlexNet))
    {
        features = Sequential(
            ("0", Conv2d(3, 64, 11, stride: 4, padding: 2)), ("1", ReLU(inplace: true)), ("2", MaxPool2d(3, 2)),
            ("3", Conv2d(64, 192, 5, padding: 2)), ("4", ReLU(inplace: true)), ("5", MaxPool2d(3, 2)),
            ("6", Conv2d(192, 384, 3, padding: 1)), ("7", ReLU(inplace: true)),
            ("8", Conv2d(384, 256, 3, padding: 1)), ("9", ReLU(inplace: true)),
            ("10", Conv2d(256, 256, 3, padding: 1)), ("11", ReLU(inplace: true)), ("12", MaxPool2d(3, 2)));
        avgpool = AdaptiveAvgPool2d(6);
        classifier = Sequential(
            ("0", Dropout(dropout)), ("1", Linear(256 * 6 * 6, 4096)), ("2", ReLU(inplace: true)),
            ("3", Dropout(dropout)), ("4", Linear(4096, 4096)), ("5", ReLU(inplace: true)),
            ("6", Linear(4096, numClasses)));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string HeadName => "classifier";

    /// <inheritdoc />
    public override Module<Tensor, Tensor> Head { get => classifier; set => classifier = SwapHead(classifier, value); }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = avgpool.call(features.call(input)).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }
}
