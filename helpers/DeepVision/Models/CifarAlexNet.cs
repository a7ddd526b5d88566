using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// AlexNet for 32x32 images (CIFAR-10), as the course's sources adapt it: torchvision's layers and names
/// (<c>features.0.weight</c> … <c>classifier.6.bias</c>) with a 5x5 stride-1 first convolution, features that end at
/// 3x3, and the classifier narrowed to 2,304 → 4,096 → 1,024 → classes. The ImageNet AlexNet is TorchVision's
/// <c>torchvision.models.alexnet()</c>.
/// </summary>
public sealed class CifarAlexNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> classifier;

    /// <summary>Builds the network with <paramref name="numClasses"/> outputs, the given dropout and hidden widths.</summary>
    public CifarAlexNet(int numClasses = 10, double dropout = 0.5, int hidden = 4096, int secondHidden = 1024) : base(nameof(CifarAlexNet))
    {
        const int pooled = 3;
        features = Sequential(
            ("0", Conv2d(3, 64, 5, padding: 2)), ("1", ReLU(inplace: true)), ("2", MaxPool2d(3, 2)),
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
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = avgpool.call(features.call(input)).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }
}
