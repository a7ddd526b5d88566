using DeepVision.Data;
using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

[Collection(RunsAloneCollection.Name)]
public class FeatureCacheTests
{
    [Fact]
    public void Features_are_reused_only_for_the_same_pixels_backbone_weights_preprocessing_and_precision()
    {
        using var temp = new TempFolder();
        using var cifar = Datasets.CIFAR10(train: false, root: RepoPaths.Samples());
        using var first = cifar.Take(40);
        using var other = new ImageDataset(first.Name, cifar.Images[40..80].clone(), cifar.Labels[40..80].clone(), cifar.ClassNames); // same name, same count
        torch.manual_seed(0);
        // 16 channels: the cache is under test, not a CPU whose bfloat16 kernels get other channel counts wrong (BFloat16ConvolutionsTests).
        var backbone = Sequential(("conv", Conv2d(3, 16, 3)), ("pool", AdaptiveAvgPool2d(1)), ("flatten", Flatten()));
        var cache = new FeatureCache(temp.Path);
        var log = new StringWriter();
        using var a = cache.Features(backbone, first, null, "none", torch.CPU, batchSize: 16, log: log);
        using var again = cache.Features(backbone, first, null, "none", torch.CPU, batchSize: 16, log: log);
        Assert.Equal([40, 16], a.shape);
        Assert.True(a.eq(again).all().item<bool>());
        Assert.Single(Directory.GetFiles(temp.Path));
        Assert.Contains("from the cache", log.ToString().Split('\n')[1]);
        // The features are what the backbone computes for those images.
        using (torch.no_grad())
        using (var direct = backbone.forward(first.Images.to_type(ScalarType.Float32).div(255f)))
            Assert.True((direct - a).abs().max().item<float>() < 1e-5);

        // Other pixels under the same name and count, another preprocessing, other weights: each computed anew.
        using var b = cache.Features(backbone, other, null, "none", torch.CPU, log: log);
        Assert.False(a.eq(b).all().item<bool>(), "the images 40-79 were given the features of 0-39");
        using var c = cache.Features(backbone, first, Transforms.Normalize([0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]), "normalized", torch.CPU, log: log);
        using (torch.no_grad()) foreach (var p in backbone.parameters()) p.add_(0.1);
        using var d = cache.Features(backbone, first, null, "none", torch.CPU, log: log);
        Assert.False(a.eq(d).all().item<bool>(), "changed weights were given the old weights' features");
        // The same weights in bfloat16: features of their own, not the float32 ones.
        using var e = cache.Features(backbone, first, null, "none", torch.CPU, compute: new ComputeOptions(Precision.MixedBFloat16), log: log);
        Assert.False(d.eq(e).all().item<bool>(), "bfloat16 was given the float32 features");
        Assert.True((d - e).abs().max().item<float>() < 0.05, "bfloat16 features should be close to the float32 ones");
        Assert.Equal(5, Directory.GetFiles(temp.Path).Length);
        Assert.Single(log.ToString().Split('\n'), l => l.Contains("from the cache")); // only the second call read the cache
    }
}
