using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// VGG (Simonyan and Zisserman 2014) as torchvision builds it: stacks of 3x3 convolutions (optionally with batch
/// normalization) and 2x2 max pooling, adaptive average pooling to 7x7, then 25,088 → 4,096 → 4,096 → classes.
/// Parameter names match torchvision's state_dict.
/// </summary>
public sealed class VGG : ImageClassifier
{
    /// <summary>Layer configurations A, B, D and E (VGG-11, 13, 16, 19): channel counts, 0 for max pooling.</summary>
    public static readonly IReadOnlyDictionary<int, int[]> Configurations = new Dictionary<int, int[]>
    {
        [11] = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        [13] = [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        [16] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
        [19] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
    };

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> avgpool;
    private Module<Tensor, Tensor> classifier;

    /// <summary>Builds VGG-<paramref name="depth"/> (11, 13, 16 or 19), with batch normalization when asked.</summary>
    public VGG(int depth, bool batchNorm = false, int numClasses = 1000, double dropout = 0.5) : base($"VGG{depth}{(batchNorm ? "_BN" : "")}")
    {
        if (!Configurations.TryGetValue(depth, out var configuration))
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "VGG comes in depths 11, 13, 16 and 19.");
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var channels = 3;
        foreach (var width in configuration)
        {
            if (width == 0)
            {
                layers.Add((layers.Count.ToString(), MaxPool2d(2, 2)));
                continue;
            }
            layers.Add((layers.Count.ToString(), Conv2d(channels, width, 3, padding: 1)));
            if (batchNorm) layers.Add((layers.Count.ToString(), BatchNorm2d(width)));
            layers.Add((layers.Count.ToString(), ReLU(inplace: true)));
            channels = width;
        }
        features = Sequential(layers);
        avgpool = AdaptiveAvgPool2d(7);
        classifier = Sequential(
            ("0", Linear(512 * 7 * 7, 4096)), ("1", ReLU(inplace: true)), ("2", Dropout(dropout)),
            ("3", Linear(4096, 4096)), ("4", ReLU(inplace: true)), ("5", Dropout(dropout)),
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
