using static TorchSharp.torch;

namespace DeepVision.Benchmarks;

/// <summary>
/// Notebook 14's network (airbench94's): a frozen 2x2 whitening convolution (3 → 24), three blocks of conv, 2x2 max
/// pooling, batch normalization without a learned scale, GELU, conv, normalization, GELU (64, 256, 256 channels), a 3x3
/// max pooling and a bias-free linear head scaled by 1/9. speedrun_pytorch.py builds the same network.
/// </summary>
internal sealed class SpeedRunNet : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> whitening, activation, blocks, pool, head;

    public SpeedRunNet(int width = 64) : base(nameof(SpeedRunNet))
    {
        var conv = nn.Conv2d(3, 24, 2);
        conv.weight!.requires_grad = false;
        whitening = conv;
        activation = nn.GELU();
        // A Sequential, not an array: RegisterComponents registers module fields, and an array's modules would be
        // invisible to parameters(), the optimizer and mixed precision.
        blocks = nn.Sequential(Block(24, width), Block(width, 4 * width), Block(4 * width, 4 * width));
        pool = nn.MaxPool2d(3);
        head = nn.Linear(4 * width, 10, hasBias: false);
        RegisterComponents();
    }

    private static nn.Module<Tensor, Tensor> Block(int inputs, int outputs) => nn.Sequential(
        ("conv1", nn.Conv2d(inputs, outputs, 3, padding: 1, bias: false)), ("pool", nn.MaxPool2d(2)), ("norm1", Norm(outputs)), ("gelu1", nn.GELU()),
        ("conv2", nn.Conv2d(outputs, outputs, 3, padding: 1, bias: false)), ("norm2", Norm(outputs)), ("gelu2", nn.GELU()));

    private static nn.Module<Tensor, Tensor> Norm(int channels)
    {
        var norm = nn.BatchNorm2d(channels, eps: 1e-12, momentum: 0.4);
        norm.weight!.requires_grad = false;
        return norm;
    }

    public override Tensor forward(Tensor x) => head.call(pool.call(blocks.call(activation.call(whitening.call(x)))).flatten(1)) / 9;
}
