using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// MobileNetV2 (Sandler et al. 2018) as torchvision builds it: inverted residual blocks (1x1 expansion, 3x3
/// depthwise convolution, 1x1 linear projection) with ReLU6, width multiplier 1.0. Parameter names match
/// torchvision's state_dict (<c>features.1.conv.0.0.weight</c>, <c>classifier.1.weight</c>, …).
/// </summary>
public sealed class MobileNetV2 : ImageClassifier
{
    // Expansion factor t, output channels c, repeats n, first stride s.
    private static readonly (int T, int C, int N, int S)[] Settings =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    private readonly Module<Tensor, Tensor> features;
    private Module<Tensor, Tensor> classifier;

    /// <summary>Builds the network with <paramref name="numClasses"/> outputs.</summary>
    public MobileNetV2(int numClasses = 1000, double dropout = 0.2) : base(nameof(MobileNetV2))
    {
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("0", ConvBNReLU6(3, 32, 3, 2, 1)) };
        var input = 32;
        foreach (var (t, c, n, s) in Settings)
            for (var i = 0; i < n; i++)
            {
                layers.Add((layers.Count.ToString(), new InvertedResidual(input, c, i == 0 ? s : 1, t)));
                input = c;
            }
        layers.Add((layers.Count.ToString(), ConvBNReLU6(input, 1280, 1, 1, 1)));
        features = Sequential(layers);
        classifier = Sequential(("0", Dropout(dropout)), ("1", Linear(1280, numClasses)));
        RegisterComponents();
    }

    /// <summary>torchvision's Conv2dNormActivation: convolution (no bias), batch norm, ReLU6, named 0, 1, 2.</summary>
    internal static Module<Tensor, Tensor> ConvBNReLU6(int input, int output, int kernel, int stride, int groups) => Sequential(
        ("0", Conv2d(input, output, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false)),
        ("1", BatchNorm2d(output)),
        ("2", ReLU6(inplace: true)));

    /// <inheritdoc />
    public override string HeadName => "classifier";

    /// <inheritdoc />
    public override Module<Tensor, Tensor> Head { get => classifier; set => classifier = SwapHead(classifier, value); }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = nn.functional.adaptive_avg_pool2d(features.call(input), 1).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>An inverted residual block; the skip connection is used when stride is 1 and the width is kept.</summary>
    public sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv;
        private readonly bool _residual;

        /// <summary>A block from <paramref name="input"/> to <paramref name="output"/> channels, expanded <paramref name="expansion"/> times.</summary>
        public InvertedResidual(int input, int output, int stride, int expansion) : base(nameof(InvertedResidual))
        {
            var hidden = input * expansion;
            _residual = stride == 1 && input == output;
            var layers = new List<(string, Module<Tensor, Tensor>)>();
            if (expansion != 1) layers.Add(("0", ConvBNReLU6(input, hidden, 1, 1, 1)));
            layers.Add((layers.Count.ToString(), ConvBNReLU6(hidden, hidden, 3, stride, hidden)));
            layers.Add((layers.Count.ToString(), Conv2d(hidden, output, 1, bias: false)));
            layers.Add((layers.Count.ToString(), BatchNorm2d(output)));
            conv = Sequential(layers);
            RegisterComponents();
        }

        /// <inheritdoc />
        public override Tensor forward(Tensor x)
        {
            if (!_residual) return conv.call(x);
            using var scope = torch.NewDisposeScope();
            return (x + conv.call(x)).MoveToOuterDisposeScope();
        }
    }
}
