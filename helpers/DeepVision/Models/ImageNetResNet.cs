using DeepVision.Weights;
using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// A ResNet trained on ImageNet, as feature extractor: the network of the <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
/// package (MIT), whose ONNX file is read without Python or network. Basic blocks in stages of [2, 2, 2, 3] (one more
/// block in the last stage than torchvision's resnet18, 16M parameters), torchvision's names (<c>conv1</c>, <c>bn1</c>,
/// <c>layer1.0.conv1</c>, …, <c>layer4.2.bn2</c>), and no classification layer: the package has none. Its output is the
/// 512-d average-pooled feature of each image: put a head after it to classify.
/// </summary>
public sealed class ImageNetResNet : Module<Tensor, Tensor>
{
    /// <summary>The package that holds the weights, and its version (restored by <c>./build.sh build</c>).</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18", PackageVersion = "0.23.1";

    /// <summary>The width of the features.</summary>
    public const int FeatureCount = 512;

    /// <summary>The input size the weights (and the preprocessing's mean image) were made for.</summary>
    public const int ImageSize = 224;

    private static readonly int[] Stages = [2, 2, 2, 3];
    private static readonly string[] KnownOps = ["Conv", "BatchNormalization", "Relu", "MaxPool", "Add", "AveragePool", "GlobalAveragePool"];

    private readonly Module<Tensor, Tensor> conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool;

    /// <summary>The architecture with fresh weights; <see cref="Load"/> gives the pretrained one.</summary>
    public ImageNetResNet() : base(nameof(ImageNetResNet))
    {
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        // Option B: where the shape changes, a strided 1x1 convolution and batch normalization on the shortcut.
        Module<Tensor, Tensor> Projection(int inplanes, int planes, int stride) =>
            Sequential(("0", Conv2d(inplanes, planes, 1, stride: stride, bias: false)), ("1", BatchNorm2d(planes)));
        layer1 = CifarResNet.BasicBlock.Stage(64, 64, Stages[0], 1, Projection);
        layer2 = CifarResNet.BasicBlock.Stage(64, 128, Stages[1], 2, Projection);
        layer3 = CifarResNet.BasicBlock.Stage(128, 256, Stages[2], 2, Projection);
        layer4 = CifarResNet.BasicBlock.Stage(256, 512, Stages[3], 2, Projection);
        avgpool = AdaptiveAvgPool2d(1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = maxpool.call(relu.call(bn1.call(conv1.call(input))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return avgpool.call(x).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>Where NuGet keeps restored packages: NUGET_PACKAGES, else ~/.nuget/packages.</summary>
    public static string NuGetPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages ? packages
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string PackageFile(params string[] parts) =>
        Path.Combine([NuGetPackagesFolder, PackageId.ToLowerInvariant(), PackageVersion, "tools", "DnnImageModels", .. parts]);

    /// <summary>The network's ONNX file in the restored package.</summary>
    public static string ModelFile => PackageFile("ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The preprocessing's ONNX file in the restored package.</summary>
    public static string PreprocessFile => PackageFile("ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>
    /// Builds the network and loads the package's ImageNet weights (from <paramref name="onnxFile"/>, by default the
    /// restored package's). The graph is checked to be this ResNet: a missing file, a damaged one, or a graph with other
    /// layers gets an error that names the file.
    /// </summary>
    public static ImageNetResNet Load(string? onnxFile = null)
    {
        var path = onnxFile ?? ModelFile;
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"The pretrained ResNet is not at {path}. It comes with the NuGet package {PackageId} {PackageVersion}, which " +
                "./build.sh build restores (or: dotnet restore in this repository; NUGET_PACKAGES moves the packages folder).", path);
        var onnx = OnnxFile.Read(path);
        try
        {
            var weights = MapToTorchvisionNames(onnx);
            var model = new ImageNetResNet();
            StateDict.Load(model, weights);
            model.eval();
            return model;
        }
        finally
        {
            foreach (var t in onnx.Initializers.Values) t.Dispose();
        }
    }

    /// <summary>
    /// The package's preprocessing, exactly: RGB in 0–1 (as <see cref="Data.BatchLoader"/> gives batches) to 0–255,
    /// channels reordered to BGR, and the ImageNet mean <i>image</i> subtracted (no division by a standard deviation).
    /// Batches must be 224×224. It is a transform rather than folded into <c>conv1</c> because the mean is a whole image,
    /// one value per pixel and channel, not three numbers: folded in, it would need a bias per position, which a
    /// convolution does not have.
    /// </summary>
    public static Func<Tensor, Tensor> Preprocess(string? onnxFile = null)
    {
        var path = onnxFile ?? PreprocessFile;
        if (!File.Exists(path))
            throw new FileNotFoundException($"The preprocessing of the pretrained ResNet is not at {path}; ./build.sh build restores {PackageId} {PackageVersion}.", path);
        var onnx = OnnxFile.Read(path);
        var ops = string.Join(",", onnx.Nodes.Select(n => n.OpType));
        var sub = onnx.Nodes.LastOrDefault(n => n.OpType == "Sub");
        if (ops != "Split,Concat,Sub" || sub is null || !onnx.Initializers.TryGetValue(sub.Inputs[1], out var mean) || !mean.shape.SequenceEqual([1L, 3, ImageSize, ImageSize]))
        {
            foreach (var t in onnx.Initializers.Values) t.Dispose();
            throw new InvalidDataException($"{path} is not the preprocessing this loader knows (Split, Concat to BGR, Sub of a [1, 3, 224, 224] mean image); it has {ops}.");
        }
        var meanImage = mean.clone();
        foreach (var t in onnx.Initializers.Values) t.Dispose();
        return batch =>
        {
            if (batch.dim() != 4 || batch.shape[1] != 3 || batch.shape[2] != ImageSize || batch.shape[3] != ImageSize)
                throw new ArgumentException($"The pretrained ResNet's preprocessing takes [N, 3, {ImageSize}, {ImageSize}] RGB batches, not {batch.ShapeText()}: resize or crop to {ImageSize} first (Transforms.Resize({ImageSize})).", nameof(batch));
            return (batch * 255f).flip(1) - meanImage.to(batch.device);
        };
    }

    /// <summary>Names the ONNX initializers as torchvision names this network's parameters, by walking the graph.</summary>
    private static Dictionary<string, Tensor> MapToTorchvisionNames(OnnxFile onnx)
    {
        var path = onnx.Path;
        var unknown = onnx.Nodes.Select(n => n.OpType).Distinct().Except(KnownOps).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"{path} has layers this ResNet does not ({string.Join(", ", unknown)}): it is not the {PackageId} network.");
        var producer = new Dictionary<string, OnnxNode>();
        foreach (var node in onnx.Nodes)
            foreach (var output in node.Outputs) producer[output] = node;
        OnnxNode? From(string tensor, string op) => producer.TryGetValue(tensor, out var n) && n.OpType == op ? n : null;
        InvalidDataException Unexpected(string what) => new($"{path}: {what}; the graph is not the ResNet this loader knows ({PackageId} {PackageVersion}).");

        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor Initializer(string name) => onnx.Initializers.TryGetValue(name, out var t) ? t.clone() : throw Unexpected($"{name} is not a stored weight");
        void ConvBn(string prefix, OnnxNode conv, string bnPrefix, OnnxNode bn)
        {
            if (conv.Inputs.Count != 2) throw Unexpected($"convolution {conv.Name} has a bias");
            if (bn.Attributes.TryGetValue("epsilon", out var eps) && eps.Float is { } e && Math.Abs(e - 1e-5) > 1e-9)
                throw Unexpected($"batch normalization {bn.Name} has epsilon {e}, not 1e-5");
            weights[$"{prefix}.weight"] = Initializer(conv.Inputs[1]);
            weights[$"{bnPrefix}.weight"] = Initializer(bn.Inputs[1]);
            weights[$"{bnPrefix}.bias"] = Initializer(bn.Inputs[2]);
            weights[$"{bnPrefix}.running_mean"] = Initializer(bn.Inputs[3]);
            weights[$"{bnPrefix}.running_var"] = Initializer(bn.Inputs[4]);
            weights[$"{bnPrefix}.num_batches_tracked"] = torch.tensor(0L);
        }
        (OnnxNode Conv, OnnxNode Bn)? ConvBnBefore(string tensor) =>
            From(tensor, "BatchNormalization") is { } bn && From(bn.Inputs[0], "Conv") is { } conv ? (conv, bn) : null;

        // The stem: the first convolution and its batch normalization.
        var stemConv = onnx.Nodes.First(n => n.OpType == "Conv");
        var stemBn = onnx.Nodes.FirstOrDefault(n => n.OpType == "BatchNormalization" && n.Inputs[0] == stemConv.Outputs[0]) ?? throw Unexpected("the first convolution has no batch normalization");
        ConvBn("conv1", stemConv, "bn1", stemBn);

        // Every Add closes a basic block: one input is conv-BN-ReLU-conv-BN, the other the shortcut.
        var blocks = onnx.Nodes.Where(n => n.OpType == "Add").ToList();
        if (blocks.Count != Stages.Sum()) throw Unexpected($"{blocks.Count} residual blocks, not {Stages.Sum()}");
        var index = 0;
        for (var stage = 0; stage < Stages.Length; stage++)
        {
            for (var i = 0; i < Stages[stage]; i++, index++)
            {
                var add = blocks[index];
                var prefix = $"layer{stage + 1}.{i}";
                (OnnxNode, OnnxNode, OnnxNode, OnnxNode)? Main(string tensor) =>
                    ConvBnBefore(tensor) is var (c2, b2) && From(c2.Inputs[0], "Relu") is { } r && ConvBnBefore(r.Inputs[0]) is var (c1, b1) ? (c1, b1, c2, b2) : null;
                var (mainInput, shortcutInput) = Main(add.Inputs[0]) is not null ? (add.Inputs[0], add.Inputs[1]) : (add.Inputs[1], add.Inputs[0]);
                var (conv1, bn1, conv2, bn2) = Main(mainInput) ?? throw Unexpected($"block {prefix} ({add.Name}) is not conv-BN-ReLU-conv-BN");
                ConvBn($"{prefix}.conv1", conv1, $"{prefix}.bn1", bn1);
                ConvBn($"{prefix}.conv2", conv2, $"{prefix}.bn2", bn2);
                var expectsDownsample = i == 0 && stage > 0;
                if (ConvBnBefore(shortcutInput) is var (dc, db))
                {
                    if (!expectsDownsample) throw Unexpected($"block {prefix} has a projection shortcut where an identity was expected");
                    ConvBn($"{prefix}.downsample.0", dc, $"{prefix}.downsample.1", db);
                }
                else if (expectsDownsample) throw Unexpected($"block {prefix} has no projection shortcut");
            }
        }
        return weights;
    }
}
