#:package TorchSharp-cpu
#:package TorchVision
#:project ../../../helpers/DeepVision/DeepVision.csproj
#:property UseAppHost=false
// The learning-rate sweeps of imagenette-128px.json: the course's networks on Imagenette's 128 px crops, the data the
// finder's rule (LearningRateSweep.Descended) was measured on. Run from this folder, with Imagenette in the user cache
// or $DEEPVISION_DATA (./build.sh data):  dotnet run make-sweeps.cs [names, comma-separated]   (about 4 min on 2 cores)
using TorchSharp;
using static TorchSharp.torch;
using DeepVision; using DeepVision.Data; using DeepVision.Devices; using DeepVision.Training;
var only = args.Length > 0 ? args[0].Split(',') : null;
var setup = DeviceSetup.Setup(seed: 0);
var precision = setup.FastBFloat16 ? Precision.MixedBFloat16 : Precision.Float32;
var all = Datasets.Imagenette(train: true, size: 146);
var (trainSet, _) = all.Split(947, seed: 0);
var norm = Transforms.Normalize(Transforms.ImageNetMean, Transforms.ImageNetStd);
var train = new BatchLoader(trainSet, 64, setup.Device, shuffle: true, seed: 1, dropLast: true,
    transform: Transforms.Compose(BatchAugment.RandomResizedCropFlip(128, 0.35, 1, seed: 2), norm));
var sweeps = new List<string>();
void Sweep(string name, string description, Func<nn.Module<Tensor, Tensor>> make, bool adamw, double start, int steps, bool channelsLast)
{
    if (only != null && !only.Contains(name)) return;
    torch.manual_seed(42);
    var net = make();
    var optimizer = adamw ? WeightDecay.AdamW(net, 1e-3, 0.05) : (optim.Optimizer)optim.SGD(net.parameters(), 0.01, momentum: 0.9, weight_decay: 5e-4);
    nn.Module<Tensor, Tensor, Tensor> loss = adamw ? new LabelSmoothingCrossEntropy(0.1) : nn.CrossEntropyLoss();
    var sweep = LearningRateFinder.Run(net, train, optimizer, loss, start: start, end: 1, steps: steps, compute: new ComputeOptions(precision, channelsLast));
    Console.WriteLine($"{name}: {sweep}");
    static string Numbers(IEnumerable<double> xs) => string.Join(",", xs.Select(x => x.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)));
    sweeps.Add($"  \"{name}\": {{\"setup\": \"{description}\",\n   \"learningRates\": [{Numbers(sweep.LearningRates)}],\n   \"losses\": [{Numbers(sweep.Losses)}]}}");
    net.Dispose();
}
const string AdamW = "AdamW (weight decay 0.05 on weights), label smoothing 0.1";
Sweep("mobilenet_v2", $"torchvision mobilenet_v2, {AdamW}, channels-last, 1e-6 to 1 over 100 steps", () => torchvision.models.mobilenet_v2(num_classes: 10), true, 1e-6, 100, true);
Sweep("resnet18", $"torchvision resnet18, {AdamW}, channels-last, 1e-6 to 1 over 100 steps", () => torchvision.models.resnet18(num_classes: 10), true, 1e-6, 100, true);
Sweep("vit_conv", $"notebook 12's ViT (6 layers, width 192, convolutional stem), {AdamW}, 1e-6 to 1 over 100 steps", () => new ViT(128, 16, 6, 3, 192, 768, 10, ViT.ConvStem(192)), true, 1e-6, 100, false);
Sweep("alexnet_adamw", $"torchvision alexnet, {AdamW}, 1e-5 to 1 over 200 steps (stopped when the loss exploded)", () => torchvision.models.alexnet(num_classes: 10), true, 1e-5, 200, false);
Sweep("alexnet_sgd", "torchvision alexnet, SGD momentum 0.9, weight decay 5e-4, cross-entropy, 1e-5 to 1 over 200 steps (stopped when the loss exploded)", () => torchvision.models.alexnet(num_classes: 10), false, 1e-5, 200, false);
var json = "{\n \"made\": \"" + DateTime.UtcNow.ToString("yyyy-MM-dd") + $" by make-sweeps.cs: {setup.Device.type}, {Environment.ProcessorCount} cores, {precision}\",\n" +
    " \"data\": \"Imagenette (imagenette2), 8,522 training images after holding 947 out, decoded at 146 px, random resized 128 px crops and flips, batch 64, seed 42\",\n" +
    " \"sweeps\": {\n" + string.Join(",\n", sweeps) + "\n }\n}\n";
File.WriteAllText("imagenette-128px.json.part", json);
File.Move("imagenette-128px.json.part", "imagenette-128px.json", overwrite: true);

public class SelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter in_proj_weight, in_proj_bias;
    private readonly nn.Module<Tensor, Tensor> out_proj;
    private readonly int heads;
    public SelfAttention(int width, int heads) : base(nameof(SelfAttention))
    {
        this.heads = heads;
        in_proj_weight = nn.Parameter(nn.init.xavier_uniform_(torch.empty(3 * width, width)));
        in_proj_bias = nn.Parameter(torch.zeros(3 * width));
        out_proj = nn.Linear(width, width);
        RegisterComponents();
    }
    public override Tensor forward(Tensor x)
    {
        var (n, tokens, width) = (x.shape[0], x.shape[1], x.shape[2]);
        var qkv = nn.functional.linear(x, in_proj_weight, in_proj_bias).view(n, tokens, 3, heads, width / heads).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2]);
        return out_proj.call(attended.transpose(1, 2).reshape(n, tokens, width));
    }
}
public class EncoderBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> ln_1, self_attention, ln_2, mlp;
    public EncoderBlock(int width, int heads, int mlpWidth) : base(nameof(EncoderBlock))
    {
        ln_1 = nn.LayerNorm(width, eps: 1e-6);
        self_attention = new SelfAttention(width, heads);
        ln_2 = nn.LayerNorm(width, eps: 1e-6);
        mlp = nn.Sequential(("0", nn.Linear(width, mlpWidth)), ("1", nn.GELU()), ("3", nn.Linear(mlpWidth, width)));
        RegisterComponents();
    }
    public override Tensor forward(Tensor x)
    {
        var y = x + self_attention.call(ln_1.call(x));
        return y + mlp.call(ln_2.call(y));
    }
}
public class Encoder : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter pos_embedding;
    private readonly nn.Module<Tensor, Tensor> layers, ln;
    public Encoder(int tokens, int blocks, int width, int heads, int mlpWidth) : base(nameof(Encoder))
    {
        pos_embedding = nn.Parameter(torch.empty(1, tokens, width).normal_(std: 0.02));
        layers = nn.Sequential(Enumerable.Range(0, blocks).Select(i => ($"encoder_layer_{i}", (nn.Module<Tensor, Tensor>)new EncoderBlock(width, heads, mlpWidth))).ToList());
        ln = nn.LayerNorm(width, eps: 1e-6);
        RegisterComponents();
    }
    public override Tensor forward(Tensor x) => ln.call(layers.call(x + pos_embedding));
}
public class ViT : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv_proj, encoder, heads;
    private readonly TorchSharp.Modules.Parameter class_token;
    public ViT(int imageSize, int patchSize, int blocks, int heads, int width, int mlpWidth, int numClasses, nn.Module<Tensor, Tensor>? stem = null) : base(nameof(ViT))
    {
        var patches = (imageSize / patchSize) * (imageSize / patchSize);
        conv_proj = stem ?? nn.Conv2d(3, width, patchSize, stride: patchSize);
        class_token = nn.Parameter(torch.zeros(1, 1, width));
        encoder = new Encoder(patches + 1, blocks, width, heads, mlpWidth);
        this.heads = nn.Sequential(("head", nn.Linear(width, numClasses)));
        RegisterComponents();
    }
    public override Tensor forward(Tensor images)
    {
        var x = conv_proj.call(images).flatten(2).transpose(1, 2);
        x = torch.cat([class_token.expand(x.shape[0], -1, -1), x], 1);
        return heads.call(encoder.call(x)[.., 0]);
    }
    // Xiao et al. 2021: four 3x3 stride-2 convolutions (BN, ReLU) and a 1x1 projection instead of one 16x16 stride-16 one.
    public static nn.Module<Tensor, Tensor> ConvStem(int width)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var channels = new[] { 3, width / 8, width / 4, width / 2, width };
        for (var i = 0; i < 4; i++)
        {
            layers.Add(($"{3 * i}", nn.Conv2d(channels[i], channels[i + 1], 3, stride: 2, padding: 1, bias: false)));
            layers.Add(($"{3 * i + 1}", nn.BatchNorm2d(channels[i + 1])));
            layers.Add(($"{3 * i + 2}", nn.ReLU()));
        }
        layers.Add(("12", nn.Conv2d(width, width, 1)));
        return nn.Sequential(layers);
    }
}
