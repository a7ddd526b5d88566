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

    /// <summary>
    /// Builds the network with <paramref name="numClasses"/> outputs and the given dropout. <paramref name="hidden"/>
    /// and <paramref name="secondHidden"/> are the widths of the two hidden fully connected layers (4096 each in the
    /// original). With <paramref name="smallInputs"/>, the first convolution is 5x5 with stride 1 and the features end
    /// at 3x3, for 32x32 images such as CIFAR-10's.
    /// </summary>
    public AlexNet(int numClasses = 1000, double dropout = 0.5, int hidden = 4096, int secondHidden = 4096, bool smallInputs = false) : base(nameof(AlexNet))
    {
        var pooled = smallInputs ? 3 : 6;
        features = Sequential(
            ("0", smallInputs ? Conv2d(3, 64, 5, padding: 2) : Conv2d(3, 64, 11, stride: 4, padding: 2)), ("1", ReLU(inplace: true)), ("2", MaxPool2d(3, 2)),
            ("3", Conv2d(64, 192, 5, padding: 2)), ("4", ReLU(inplace: true)), ("5", MaxPool2d(3, 2)),
            ("6", Conv2d(192, 384, 3, padding: 1)), ("7", ReLU(inplace: true)),
            ("8", Conv2d(384, 256, 3, padding: 1)), ("9", ReLU(inplace: true)),
            ("10", Conv2d(256, 256, 3, padding: 1)), ("11", ReLU(inplace: true)), ("12", MaxPool2d(3, 2)));
        avgpool = AdaptiveAvgPool2d(pooled);
        classifier = Sequential(
            ("0", Dropout(dropout)), ("1", Linear(256 * pooled * pooled, hidden)), ("2", ReLU(inplace: true)),
            ("3", Dropout(dropout)), ("4", Linear(hidden, secondHidden)), ("5", ReLU(inplace: true)),
            ("6", Linear(secondHidden, numClasses)));
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
