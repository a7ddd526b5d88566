using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// The CIFAR-10 ResNets of He et al. (2015, section 4.2): a 3x3 stem with 16 channels, three stages of n basic blocks
/// at 16, 32 and 64 channels (32x32, 16x16, 8x8), global average pooling and one linear layer; depth = 6n + 2
/// (ResNet-20, 32, 44, 56, 110). Where a stage halves the size and doubles the channels, the shortcut subsamples and
/// pads with zero channels (the paper's option A), so shortcuts add no parameters. Without <c>residual</c>, the same
/// network has no skip connections: the "plain" baseline of the paper.
/// </summary>
public sealed class CifarResNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1, bn1, relu, layer1, layer2, layer3, avgpool;
    private readonly Module<Tensor, Tensor> fc;

    /// <summary>Builds a CIFAR ResNet of <paramref name="depth"/> layers (6n + 2).</summary>
    public CifarResNet(int depth = 20, int numClasses = 10, bool residual = true) : base(residual ? $"ResNet{depth}" : $"Plain{depth}")
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "CIFAR ResNets have 6n + 2 layers: 8, 14, 20, 32, 44, 56, 110.");
        var blocks = (depth - 2) / 6;
        // Option A of the paper: where the shape changes, the shortcut subsamples and pads with zero channels.
        Module<Tensor, Tensor> ZeroPad(int inplanes, int planes, int stride) => new ZeroPadShortcut(stride, planes - inplanes);
        conv1 = Conv2d(3, 16, 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(16);
        relu = ReLU(inplace: true);
        layer1 = BasicBlock.Stage(16, 16, blocks, 1, ZeroPad, residual);
        layer2 = BasicBlock.Stage(16, 32, blocks, 2, ZeroPad, residual);
        layer3 = BasicBlock.Stage(32, 64, blocks, 2, ZeroPad, residual);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(64, numClasses);
        RegisterComponents();
        Initialization.Convolutional(this, linearStd: null); // as torchvision's ResNet
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = relu.call(bn1.call(conv1.call(input)));
        x = layer3.call(layer2.call(layer1.call(x)));
        return fc.call(avgpool.call(x).flatten(1)).MoveToOuterDisposeScope();
    }

    /// <summary>The parameter-free shortcut of option A: take every stride-th pixel, append zero channels.</summary>
    public sealed class ZeroPadShortcut : Module<Tensor, Tensor>
    {
        private readonly int _stride;
        private readonly int _extraChannels;

        /// <summary>Subsamples by <paramref name="stride"/> and adds <paramref name="extraChannels"/> zero channels.</summary>
        public ZeroPadShortcut(int stride, int extraChannels) : base(nameof(ZeroPadShortcut))
        {
            _stride = stride;
            _extraChannels = extraChannels;
        }

        /// <inheritdoc />
        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var subsampled = x[.., .., TensorIndex.Slice(null, null, _stride), TensorIndex.Slice(null, null, _stride)];
            var half = _extraChannels / 2;
            return nn.functional.pad(subsampled, [0, 0, 0, 0, half, _extraChannels - half]).MoveToOuterDisposeScope();
        }
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

        /// <summary>
        /// A stage of <paramref name="blocks"/> blocks from <paramref name="inplanes"/> to <paramref name="planes"/>
        /// channels, the first with <paramref name="stride"/> and, where it changes the shape, the shortcut that
        /// <paramref name="shortcut"/>(inplanes, planes, stride) makes; the blocks are named 0, 1, … as torchvision's.
        /// </summary>
        public static Module<Tensor, Tensor> Stage(int inplanes, int planes, int blocks, int stride,
            Func<int, int, int, Module<Tensor, Tensor>> shortcut, bool residual = true)
        {
            var stage = new List<(string, Module<Tensor, Tensor>)>();
            for (var i = 0; i < blocks; i++)
            {
                var (from, s) = i == 0 ? (inplanes, stride) : (planes, 1);
                var downsample = s != 1 || from != planes ? shortcut(from, planes, s) : null;
                stage.Add((i.ToString(), new BasicBlock(from, planes, s, downsample, residual)));
            }
            return Sequential(stage);
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
}
