using DeepVision.Data;
using DeepVision.Models;
using DeepVision.Training;
using Xunit.Abstractions;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Models;

[Collection(RunsAloneCollection.Name)]
public class ResNetDTests(ITestOutputHelper output)
{
    [Fact]
    public void ResNet50D_is_torchvisions_resnet50_with_the_deep_stem_and_average_pool_shortcuts_under_timms_names()
    {
        using var resnet50d = Zoo.resnet50d();
        using var resnet50 = torchvision.models.resnet50();
        // timm's resnet50d: 25,576,264 parameters; torchvision's resnet50 25,557,032: the three 3x3 stem convolutions
        // (864 + 9,216 + 18,432 weights) and their two batch normalizations (128) replace the 7x7 one (9,408).
        Assert.Equal(25_576_264, resnet50d.ParameterCount());
        Assert.Equal(25_557_032 + 864 + 9_216 + 18_432 + 128 - 9_408, resnet50d.ParameterCount());
        using (var tenClasses = Zoo.resnet50d(10)) Assert.Equal(23_547_754, tenClasses.ParameterCount());
        using var resnet26d = Zoo.resnet26d();
        Assert.Equal(16_014_408, resnet26d.ParameterCount());

        var ours = resnet50d.state_dict();
        var theirs = resnet50.state_dict();
        // The blocks: every weight and statistic under torchvision's name and shape, the shortcut's one place on.
        string OurName(string name) => name.Contains(".downsample.")
            ? name.Replace(".downsample.1.", ".downsample.2.").Replace(".downsample.0.", ".downsample.1.")
            : name;
        var blockNames = theirs.Keys.Where(k => k.StartsWith("layer", StringComparison.Ordinal)).ToList();
        Assert.All(blockNames, name => Assert.Equal(theirs[name].shape, ours[OurName(name)].shape));
        // Every block whose shape changes has a shortcut: torchvision's four first blocks, the stride-2 ones averaging first.
        Assert.Equal(["layer1.0", "layer2.0", "layer3.0", "layer4.0"],
            ours.Keys.Where(k => k.EndsWith(".downsample.1.weight", StringComparison.Ordinal)).Select(k => k[..k.IndexOf(".downsample", StringComparison.Ordinal)]));
        Assert.Equal(["conv1.0.weight", "conv1.3.weight", "conv1.6.weight"], ours.Keys.Where(k => k.StartsWith("conv1.", StringComparison.Ordinal) && k.EndsWith(".weight", StringComparison.Ordinal) && ours[k].dim() == 4));
        Assert.Equal(new long[] { 32, 3, 3, 3 }, ours["conv1.0.weight"].shape);
        // Nothing else differs: theirs' 7x7 conv1 is our stem, every other entry has its counterpart.
        var stem = ours.Keys.Where(k => k.StartsWith("conv1.", StringComparison.Ordinal)).ToList();
        Assert.Equal(theirs.Keys.Where(k => k != "conv1.weight").Select(OurName).Concat(stem).Order(), ours.Keys.Order());
    }

    [Fact]
    public void A_stride_2_shortcut_averages_each_2x2_square_before_its_1x1_convolution()
    {
        using var block = new ResNetD.Bottleneck(64, 32, stride: 2);
        var named = block.named_modules().ToDictionary(m => m.name, m => m.module);
        torch.manual_seed(0);
        using var scope = torch.NewDisposeScope();
        // 7x7: the last row and column form squares of their own (ceil mode), averaged over their real pixels only.
        var x = torch.randn(2, 64, 7, 7);
        using (torch.no_grad())
        {
            block.eval();
            var shortcut = ((Module<Tensor, Tensor>)named["downsample"]).call(x);
            var conv = (TorchSharp.Modules.Conv2d)named["downsample.1"];
            var norm = (TorchSharp.Modules.BatchNorm2d)named["downsample.2"];
            var padded = functional.pad(x, [0, 1, 0, 1]);
            var counts = functional.pad(torch.ones(1, 1, 7, 7), [0, 1, 0, 1]);
            var averages = functional.avg_pool2d(padded, 2, 2) / functional.avg_pool2d(counts, 2, 2);
            var expected = norm.call(functional.conv2d(averages, conv.weight!));
            Assert.Equal(new long[] { 2, 128, 4, 4 }, shortcut.shape);
            Assert.True(shortcut.allclose(expected, rtol: 1e-4, atol: 1e-5));
            // The main path agrees: its stride is on the 3x3 convolution, so the sum has the shortcut's shape.
            Assert.Equal(shortcut.shape, block.call(x).shape);
        }
        // Every block starts as the identity of its shortcut (zero γ), unless asked otherwise.
        using (var zero = Zoo.resnet26d(10))
            Assert.All(zero.named_parameters().Where(p => p.name.EndsWith(".bn3.weight", StringComparison.Ordinal)), p => Assert.Equal(0, p.parameter.abs().sum().item<float>()));
        using (var one = Zoo.resnet26d(10, zeroInitResidual: false))
            Assert.All(one.named_parameters().Where(p => p.name.EndsWith(".bn3.weight", StringComparison.Ordinal)), p => Assert.Equal(1, p.parameter.min().item<float>()));
        var bad = Assert.Throws<ArgumentException>(() => new ResNetD([3, 4, 6]));
        Assert.Equal("blocks", bad.ParamName);
        Assert.Contains("[3, 4, 6]", bad.Message);
    }

    [Fact]
    public void ResNet26D_learns_real_imagenette_images_at_64_px()
    {
        torch.manual_seed(0);
        using var images = Datasets.Imagenette(train: true, size: 64, root: RepoPaths.Samples("imagenette-sample"));
        using var sample = images.Take(96);
        Assert.Equal(96, sample.Count);
        var normalize = Transforms.Normalize(Transforms.ImageNetMean, Transforms.ImageNetStd);
        var batches = new BatchLoader(sample, 16, torch.CPU, shuffle: true, seed: 1, dropLast: true, transform: normalize);
        using var model = Zoo.resnet26d(10);
        using (var logits = model.call(torch.zeros(2, 3, 64, 64))) Assert.Equal(new long[] { 2, 10 }, logits.shape);
        var history = Trainer.Fit(model, batches, null, WeightDecay.AdamW(model, 1e-3, 0.0), CrossEntropyLoss(), new(4) { ShowProgress = false });
        output.WriteLine($"training loss by epoch: {string.Join(", ", history.Epochs.Select(e => e.TrainLoss.ToString("F3")))}");
        // Measured on the 2-core EPYC VM (oneDNN limited to SSE4.1): 1.975, 1.220, 0.904, 0.758.
        Assert.True(history.Epochs[^1].TrainLoss < 0.8 * history.Epochs[0].TrainLoss, history.ToString());
        // The compute timm gives at 224 px: ResNet-50-D 4.35 G multiply-adds, ResNet-26-D 2.6 G. The strides sit where
        // ResNet-D puts them: the stem's first convolution halves 224, the max-pool 112; in a stage's first block the 3x3
        // convolution halves, not the 1x1 one before it.
        using var resnet50d = Zoo.resnet50d();
        var summary = ModelSummary.Of(resnet50d, [1, 3, 224, 224]);
        Assert.InRange(summary.TotalMultiplyAdds, 4.30e9, 4.40e9);
        long[] Shape(string name) => summary.Layers.Single(l => l.Name == name).OutputShape;
        Assert.Equal(new long[] { 1, 32, 112, 112 }, Shape("conv1.0"));
        Assert.Equal(new long[] { 1, 64, 56, 56 }, Shape("maxpool"));
        Assert.Equal(new long[] { 1, 128, 56, 56 }, Shape("layer2.0.conv1"));
        Assert.Equal(new long[] { 1, 128, 28, 28 }, Shape("layer2.0.conv2"));
        Assert.Equal(new long[] { 1, 2048, 7, 7 }, Shape("layer4.2.conv3"));
        using var resnet26d = Zoo.resnet26d();
        Assert.InRange(ModelSummary.Of(resnet26d, [1, 3, 224, 224]).TotalMultiplyAdds, 2.55e9, 2.65e9);
    }
}
