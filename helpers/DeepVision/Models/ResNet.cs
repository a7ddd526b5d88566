using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// ResNet (He et al. 2015) as torchvision builds it: a 7x7 stride-2 stem, four stages of residual blocks (basic
/// blocks for ResNet-18/34, bottlenecks with the stride on the 3x3 convolution for ResNet-50, "v1.5"), global
/// average pooling and one linear layer. Parameter names match torchvision's state_dict.
/// </summary>
public sealed class ResNet : ImageClassifier
{
    private readonly Module<Tensor, Tensor> conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool;
    private Module<Tensor, Tensor> fc;

    /// <summary>
    /// Builds a ResNet from its blocks per stage (<paramref name="layers"/>, e.g. 2, 2, 2, 2 for ResNet-18) and
    /// block type.
    /// </summary>
    public ResNet(int[] layers, bool bottleneck, int numClasses = 1000) : base(nameof(ResNet))
    {
        var expansion = bottleneck ? 4 : 1;
        var inplanes = 64;
        Module<Tensor, Tensor> Stage(int planes, int blocks, int stride)
        {
            var stage = new List<(string, Module<Tensor, Tensor>)>();
            for (var i = 0; i < blocks; i++)
            {
                var s = i == 0 ? stride : 1;
                Module<Tensor, Tensor>? downsample = null;
                if (i == 0 && (s != 1 || inplanes != planes * expansion))
                    downsample = Sequential(("0", Conv2d(inplanes, planes * expansion, 1, stride: s, bias: false)), ("1", BatchNorm2d(planes * expansion)));
                stage.Add((i.ToString(), bottleneck ? new Bottleneck(inplanes, planes, s, downsample) : new BasicBlock(inplanes, planes, s, downsample)));
                inplanes = planes * expansion;
            }
            return Sequential(stage);
        }
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(3, 2, 1);
        layer1 = Stage(64, layers[0], 1);
        layer2 = Stage(128, layers[1], 2);
        layer3 = Stage(256, layers[2], 2);
        layer4 = Stage(512, layers[3], 2);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(512 * expansion, numClasses);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string HeadName => "fc";

    /// <inheritdoc />
    public override Module<Tensor, Tensor> Head { get => fc; set => fc = SwapHead(fc, value); }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = maxpool.call(relu.call(bn1.call(conv1.call(input))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return fc.call(avgpool.call(x).flatten(1)).MoveToOuterDisposeScope();
    }

    /// <summary>Two 3x3 convolutions and a skip connection (ResNet-18 and 34).</summary>
    public sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, relu, conv2, bn2;
        private readonly Module<Tensor, Tensor>? downsample;

        private readonly bool _residual;

        /// <summary>
        /// A block from <paramref name="inplanes"/> to <paramref name="planes"/> channels; without
        /// <paramref name="residual"/>, the skip connection is left out (a "plain" block, for comparison).
        /// </summary>
        public BasicBlock(int inplanes, int planes, int stride, Module<Tensor, Tensor>? downsample, bool residual = true) : base(nameof(BasicBlock))
        {
            _residual = residual;
            conv1 = Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            relu = ReLU(inplace: true);
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            this.downsample = downsample;
            RegisterComponents();
        }

        /// <inheritdoc />
        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var y = bn2.call(conv2.call(relu.call(bn1.call(conv1.call(x)))));
            if (!_residual) return relu.call(y).MoveToOuterDisposeScope();
            var identity = downsample is null ? x : downsample.call(x);
            return relu.call(y + identity).MoveToOuterDisposeScope();
        }
    }

    /// <summary>1x1 → 3x3 (with the stride) → 1x1 (4x wider) and a skip connection (ResNet-50 and deeper).</summary>
    public sealed class Bottleneck : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2, conv3, bn3, relu;
        private readonly Module<Tensor, Tensor>? downsample;

        /// <summary>A bottleneck from <paramref name="inplanes"/> to 4 x <paramref name="planes"/> channels.</summary>
        public Bottleneck(int inplanes, int planes, int stride, Module<Tensor, Tensor>? downsample) : base(nameof(Bottleneck))
        {
            conv1 = Conv2d(inplanes, planes, 1, bias: false);
            bn1 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            conv3 = Conv2d(planes, planes * 4, 1, bias: false);
            bn3 = BatchNorm2d(planes * 4);
            relu = ReLU(inplace: true);
            this.downsample = downsample;
            RegisterComponents();
        }

        /// <inheritdoc />
        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var identity = downsample is null ? x : downsample.call(x);
            var y = relu.call(bn1.call(conv1.call(x)));
            y = relu.call(bn2.call(conv2.call(y)));
            y = bn3.call(conv3.call(y));
            return relu.call(y + identity).MoveToOuterDisposeScope();
        }
    }
}
