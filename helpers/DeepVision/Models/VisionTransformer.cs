using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// The Vision Transformer (Dosovitskiy et al. 2020) as torchvision builds it: a strided convolution cuts the image
/// into patches and embeds them, a learned class token and position embeddings are added, pre-norm encoder blocks
/// (multi-head self-attention and a GELU MLP) follow, and the class token's final state is classified. Parameter
/// names match torchvision's state_dict (<c>conv_proj</c>, <c>class_token</c>, <c>encoder.layers.encoder_layer_0.…</c>,
/// <c>heads.head</c>). Small configurations train on CIFAR-10 on a CPU. Dropout is <see cref="MaskDropout"/>, the same
/// function as <c>nn.Dropout</c> at about half its cost on a CPU.
/// </summary>
public sealed class VisionTransformer : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv_proj;
    private readonly Parameter class_token;
    private readonly Encoder encoder;
    private readonly Module<Tensor, Tensor> heads;
    private readonly int _hidden;

    /// <summary>A ViT for <paramref name="imageSize"/> images cut into <paramref name="patchSize"/> patches.</summary>
    public VisionTransformer(int imageSize, int patchSize, int layers, int heads, int hiddenDim, int mlpDim,
        int numClasses = 1000, double dropout = 0.0, double attentionDropout = 0.0) : base(nameof(VisionTransformer))
    {
        if (imageSize % patchSize != 0)
            throw new ArgumentException($"The image size {imageSize} must be a multiple of the patch size {patchSize}.", nameof(patchSize));
        if (hiddenDim % heads != 0)
            throw new ArgumentException($"The hidden size {hiddenDim} must be a multiple of the number of heads {heads}.", nameof(heads));
        _hidden = hiddenDim;
        var patches = (imageSize / patchSize) * (imageSize / patchSize);
        conv_proj = Conv2d(3, hiddenDim, patchSize, stride: patchSize);
        class_token = Parameter(torch.zeros(1, 1, hiddenDim));
        encoder = new Encoder(patches + 1, layers, heads, hiddenDim, mlpDim, dropout, attentionDropout);
        var head = Linear(hiddenDim, numClasses);
        this.heads = Sequential(("head", head));
        RegisterComponents();
        // torchvision's ViT initialization: the patch projection normal with std √(1/fan_in), truncated to [-2, 2]
        // (absolute bounds, as PyTorch's trunc_normal_ takes them, so almost nothing is cut), the head at zero.
        using var noGrad = torch.no_grad();
        var fanIn = 3 * patchSize * patchSize;
        ((Conv2d)conv_proj).weight.normal_(0, Math.Sqrt(1.0 / fanIn)).clamp_(-2, 2);
        nn.init.zeros_(((Conv2d)conv_proj).bias!);
        nn.init.zeros_(head.weight);
        nn.init.zeros_(head.bias!);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var n = input.shape[0];
        var x = conv_proj.call(input).flatten(2).transpose(1, 2);                 // [N, patches, hidden]
        x = torch.cat([class_token.expand(n, -1, -1), x], 1);                      // [N, patches + 1, hidden]
        x = encoder.call(x);
        return heads.call(x[.., 0]).MoveToOuterDisposeScope();
    }

    /// <summary>Position embeddings, dropout, the encoder blocks and the final layer norm.</summary>
    public sealed class Encoder : Module<Tensor, Tensor>
    {
        private readonly Parameter pos_embedding;
        private readonly Module<Tensor, Tensor> dropout;
        private readonly Module<Tensor, Tensor> layers;
        private readonly Module<Tensor, Tensor> ln;

        /// <summary>An encoder for sequences of <paramref name="length"/> tokens.</summary>
        public Encoder(int length, int layerCount, int heads, int hiddenDim, int mlpDim, double dropout, double attentionDropout) : base(nameof(Encoder))
        {
            pos_embedding = Parameter(torch.empty(1, length, hiddenDim).normal_(std: 0.02));
            this.dropout = new MaskDropout(dropout);
            layers = Sequential(Enumerable.Range(0, layerCount)
                .Select(i => ($"encoder_layer_{i}", (Module<Tensor, Tensor>)new EncoderBlock(heads, hiddenDim, mlpDim, dropout, attentionDropout))).ToList());
            ln = LayerNorm(hiddenDim, eps: 1e-6);
            RegisterComponents();
        }

        /// <inheritdoc />
        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            return ln.call(layers.call(dropout.call(x + pos_embedding))).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Pre-norm transformer block: x + attention(ln_1(x)), then x + mlp(ln_2(x)).</summary>
    public sealed class EncoderBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> ln_1, self_attention, dropout, ln_2, mlp;

        /// <summary>A block of <paramref name="heads"/> attention heads and an MLP of width <paramref name="mlpDim"/>.</summary>
        public EncoderBlock(int heads, int hiddenDim, int mlpDim, double dropout, double attentionDropout) : base(nameof(EncoderBlock))
        {
            ln_1 = LayerNorm(hiddenDim, eps: 1e-6);
            self_attention = new SelfAttention(hiddenDim, heads, attentionDropout);
            this.dropout = new MaskDropout(dropout);
            ln_2 = LayerNorm(hiddenDim, eps: 1e-6);
            var (expand, project) = (Linear(hiddenDim, mlpDim), Linear(mlpDim, hiddenDim));
            mlp = Sequential(("0", expand), ("1", GELU()), ("2", new MaskDropout(dropout)), ("3", project), ("4", new MaskDropout(dropout)));
            RegisterComponents();
            // torchvision's MLP block: Xavier-uniform weights, biases normal with std 1e-6.
            using var noGrad = torch.no_grad();
            foreach (var linear in new[] { expand, project })
            {
                nn.init.xavier_uniform_(linear.weight);
                nn.init.normal_(linear.bias!, std: 1e-6);
            }
        }

        /// <inheritdoc />
        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var y = x + dropout.call(self_attention.call(ln_1.call(x)));
            return (y + mlp.call(ln_2.call(y))).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Multi-head self-attention with PyTorch's parameter layout (<c>in_proj_weight</c> holding the query, key and
    /// value projections stacked, <c>in_proj_bias</c>, <c>out_proj</c>), so torchvision weights load by name.
    /// </summary>
    public sealed class SelfAttention : Module<Tensor, Tensor>
    {
        private readonly Parameter in_proj_weight;
        private readonly Parameter in_proj_bias;
        private readonly Linear out_proj;
        private readonly int _heads;
        private readonly double _dropout;

        /// <summary>Attention over <paramref name="dim"/>-wide tokens with <paramref name="heads"/> heads.</summary>
        public SelfAttention(int dim, int heads, double dropout = 0.0) : base(nameof(SelfAttention))
        {
            _heads = heads;
            _dropout = dropout;
            in_proj_weight = Parameter(torch.empty(3 * dim, dim));
            nn.init.xavier_uniform_(in_proj_weight);
            in_proj_bias = Parameter(torch.zeros(3 * dim));
            out_proj = Linear(dim, dim);
            RegisterComponents();
            using var noGrad = torch.no_grad();
            nn.init.zeros_(out_proj.bias!); // PyTorch's MultiheadAttention
        }

        /// <inheritdoc />
        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var (n, length, dim) = (x.shape[0], x.shape[1], x.shape[2]);
            var qkv = nn.functional.linear(x, in_proj_weight, in_proj_bias).view(n, length, 3, _heads, dim / _heads).permute(2, 0, 3, 1, 4);
            var attended = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], p: training ? _dropout : 0.0);
            return out_proj.call(attended.transpose(1, 2).reshape(n, length, dim)).MoveToOuterDisposeScope();
        }
    }
}
