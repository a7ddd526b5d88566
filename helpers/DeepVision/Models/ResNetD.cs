using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// ResNet-D, the ImageNet ResNet with the "bag of tricks" tweaks of He et al. (2019), which TorchVision lacks: a stem of
/// three 3x3 convolutions (32, 32 and 64 channels, the first at stride 2) instead of one 7x7, and, where a block halves the
/// size, a shortcut that averages 2x2 pixels before its 1x1 convolution instead of a 1x1 convolution at stride 2 that
/// skips three pixels in four. Bottleneck blocks as torchvision's resnet50 (stride in the 3x3 convolution). Names are
/// timm's (<c>conv1.0</c> … <c>conv1.6</c> for the stem, <c>bn1</c>, <c>layer1.0.conv1</c>, <c>layer1.0.downsample.1</c>, <c>fc</c>),
/// whose <c>resnet50d</c> has the same 25,576,264 parameters at 1,000 classes, so its weights load by name.
/// </summary>
public sealed class ResNetD : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1, bn1, act1, maxpool, layer1, layer2, layer3, layer4, avgpool, fc;

    /// <summary>
    /// A ResNet-D with <paramref name="blocks"/> bottleneck blocks in its four stages ([3, 4, 6, 3]: ResNet-50-D;
    /// [2, 2, 2, 2]: ResNet-26-D). With <paramref name="zeroInitResidual"/> each block's last batch normalization starts
    /// at zero, so every block starts as the identity (the paper's "zero γ"; torchvision's <c>zero_init_residual</c>).
    /// </summary>
    public ResNetD(int[] blocks, int numClasses = 1000, bool zeroInitResidual = true)
        : base(blocks switch { [3, 4, 6, 3] => "ResNet50D", [2, 2, 2, 2] => "ResNet26D", _ => "ResNetD" })
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Length != 4 || blocks.Any(b => b < 1))
            throw new ArgumentException($"A ResNet has four stages of at least one block each, not [{string.Join(", ", blocks)}]: ResNet-50-D is [3, 4, 6, 3].", nameof(blocks));
        conv1 = Sequential(
            ("0", Conv2d(3, 32, 3, stride: 2, padding: 1, bias: false)), ("1", BatchNorm2d(32)), ("2", ReLU(inplace: true)),
            ("3", Conv2d(32, 32, 3, padding: 1, bias: false)), ("4", BatchNorm2d(32)), ("5", ReLU(inplace: true)),
            ("6", Conv2d(32, 64, 3, padding: 1, bias: false)));
        bn1 = BatchNorm2d(64);
        act1 = ReLU(inplace: true);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        layer1 = Bottleneck.Stage(64, 64, blocks[0], 1);
        layer2 = Bottleneck.Stage(256, 128, blocks[1], 2);
        layer3 = Bottleneck.Stage(512, 256, blocks[2], 2);
        layer4 = Bottleneck.Stage(1024, 512, blocks[3], 2);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(2048, numClasses);
        RegisterComponents();
        Initialization.Convolutional(this, linearStd: null);   // torchvision's rule for ResNets
        if (zeroInitResidual)
        {
            using var noGrad = torch.no_grad();
            foreach (var (name, parameter) in named_parameters())
                if (name.EndsWith(".bn3.weight", StringComparison.Ordinal)) init.zeros_(parameter);
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = maxpool.call(act1.call(bn1.call(conv1.call(input))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return fc.call(avgpool.call(x).flatten(1)).MoveToOuterDisposeScope();
    }

    /// <summary>A 1x1 convolution to a quarter of the output's width, a 3x3 one there (with the block's stride), a 1x1
    /// convolution out, each with batch normalization, and the shortcut added before the last ReLU.</summary>
    public sealed class Bottleneck : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, act1, conv2, bn2, act2, conv3, bn3, act3;
        private readonly Module<Tensor, Tensor>? downsample;

        /// <summary>A block from <paramref name="inplanes"/> channels to 4 × <paramref name="planes"/>.</summary>
        public Bottleneck(int inplanes, int planes, int stride) : base(nameof(Bottleneck))
        {
            var outplanes = 4 * planes;
            conv1 = Conv2d(inplanes, planes, 1, bias: false);
            bn1 = BatchNorm2d(planes);
            act1 = ReLU(inplace: true);
            conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            act2 = ReLU(inplace: true);
            conv3 = Conv2d(planes, outplanes, 1, bias: false);
            bn3 = BatchNorm2d(outplanes);
            act3 = ReLU(inplace: true);
            if (stride != 1 || inplanes != outplanes)
                // ResNet-D: average the pixels a strided 1x1 convolution would skip; timm's layout (an identity where
                // nothing is pooled), so the weights are downsample.1 and downsample.2 in every block that has one.
                downsample = Sequential(
                    ("0", stride == 1 ? Identity() : AvgPool2d(2, stride: 2, ceil_mode: true, count_include_pad: false)),
                    ("1", Conv2d(inplanes, outplanes, 1, bias: false)), ("2", BatchNorm2d(outplanes)));
            RegisterComponents();
        }

        /// <summary>A stage of <paramref name="blocks"/> blocks, the first with <paramref name="stride"/>, named 0, 1, ….</summary>
        public static Module<Tensor, Tensor> Stage(int inplanes, int planes, int blocks, int stride) =>
            Sequential(Enumerable.Range(0, blocks).Select(i =>
                (i.ToString(), (Module<Tensor, Tensor>)new Bottleneck(i == 0 ? inplanes : 4 * planes, planes, i == 0 ? stride : 1))));

        /// <inheritdoc />
        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var y = act2.call(bn2.call(conv2.call(act1.call(bn1.call(conv1.call(x))))));
            y = bn3.call(conv3.call(y));
            return act3.call(y + (downsample is null ? x : downsample.call(x))).MoveToOuterDisposeScope();
        }
    }
}
