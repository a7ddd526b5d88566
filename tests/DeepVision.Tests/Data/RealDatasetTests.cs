using DeepVision.Data;

namespace DeepVision.Tests.Data;

/// <summary>
/// The loaders on the real datasets: sizes, layouts, labels and known statistics. The official full files are found
/// where the helpers look (skipped, with the reason, when absent); the Imagenette sample is the one in datasets/.
/// </summary>
public class RealDatasetTests
{
    private static string Full(string name) => FullData.Folder(name);

    [FullDataFact("mnist")]
    public void Mnist_has_the_official_sizes_and_class_counts()
    {
        using var train = Datasets.MNIST(train: true, root: Full("mnist"));
        using var test = Datasets.MNIST(train: false, root: Full("mnist"));
        Assert.Equal(new long[] { 60000, 1, 28, 28 }, train.Images.shape);
        Assert.Equal(ScalarType.Byte, train.Images.dtype);
        Assert.Equal(ScalarType.Int64, train.Labels.dtype);
        Assert.Equal(new long[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, train.ClassCounts());
        Assert.Equal(new long[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, test.ClassCounts());
        Assert.Equal(5, train.Labels[0].item<long>());
        Assert.Equal(7, test.Labels[0].item<long>());
        // The well-known normalisation constants come from these pixels.
        using var mean = train.Images.to_type(ScalarType.Float64).mean() / 255;
        Assert.Equal(0.1307, mean.item<double>(), 4);
    }

    [FullDataFact("fashion-mnist")]
    public void Fashion_mnist_is_balanced_with_named_classes()
    {
        using var train = Datasets.FashionMNIST(train: true, root: Full("fashion-mnist"));
        Assert.Equal(60000, train.Count);
        Assert.All(train.ClassCounts(), c => Assert.Equal(6000, c));
        Assert.Equal("Ankle boot", train.ClassNames[train.Labels[0].item<long>() is var l ? (int)l : 0]);
    }

    [FullDataFact("cifar-10")]
    public void Cifar10_parses_fifty_thousand_images_with_the_known_channel_means()
    {
        using var train = Datasets.CIFAR10(train: true, root: Full("cifar-10"));
        using var test = Datasets.CIFAR10(train: false, root: Full("cifar-10"));
        Assert.Equal(new long[] { 50000, 3, 32, 32 }, train.Images.shape);
        Assert.Equal(10000, test.Count);
        Assert.All(train.ClassCounts(), c => Assert.Equal(5000, c));
        Assert.Equal(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], train.ClassNames);
        using var means = train.Images.to_type(ScalarType.Float64).mean([0, 2, 3]) / 255;
        var m = means.data<double>().ToArray();
        Assert.Equal(0.4914, m[0], 4);
        Assert.Equal(0.4822, m[1], 4);
        Assert.Equal(0.4465, m[2], 4);
        // Record 0 of data_batch_1 is a frog (label 6); test record 0 a cat (3).
        Assert.Equal(6, train.Labels[0].item<long>());
        Assert.Equal(3, test.Labels[0].item<long>());
    }

    [Fact]
    public void Imagenette_sample_decodes_to_squares_with_readable_class_names()
    {
        using var val = Datasets.Imagenette(train: false, size: 64, root: RepoPaths.Samples("imagenette-sample"));
        Assert.Equal(new long[] { 80, 3, 64, 64 }, val.Images.shape);
        Assert.All(val.ClassCounts(), c => Assert.Equal(8, c));
        Assert.Equal("tench", val.ClassNames[0]);
        Assert.Equal("parachute", val.ClassNames[9]);
        // Real photographs: no image is a constant colour, and the pixel values span the range.
        using var perImageStd = val.Images.to_type(ScalarType.Float32).flatten(1).std(1);
        Assert.True(perImageStd.min().item<float>() > 1f);
        Assert.Equal(255, val.Images.max().item<byte>());
    }

    [FullDataFact("mnist", "cifar-10")]
    public void The_committed_samples_are_the_first_examples_of_the_real_files()
    {
        var samples = Path.Combine(RepoPaths.Root, "datasets");
        using (var full = Datasets.MNIST(train: true, root: Full("mnist")))
        using (var sample = Datasets.MNIST(train: true, root: samples))
        {
            Assert.Equal(2000, sample.Count);
            Assert.True(sample.Images.IsSame(full.Images[..2000]));
            Assert.True(sample.Labels.IsSame(full.Labels[..2000]));
        }
        using (var full = Datasets.CIFAR10(train: true, root: Full("cifar-10")))
        using (var sample = Datasets.CIFAR10(train: true, root: samples))
        {
            Assert.Equal(2000, sample.Count);
            // Batch i of the sample holds the first 400 records of batch i of the full set.
            for (var i = 0; i < 5; i++)
                Assert.True(sample.Images[(400 * i)..(400 * i + 400)].IsSame(full.Images[(10000 * i)..(10000 * i + 400)]));
        }
        using (var sample = Datasets.FashionMNIST(train: false, root: samples))
            Assert.Equal(500, sample.Count);
        using (var sample = Datasets.Imagenette(train: true, size: 32, root: Path.Combine(samples, "imagenette-sample")))
            Assert.Equal(300, sample.Count); // 24 ImageNet validation and 6 ImageNet training photos per class
    }

    [Fact]
    public void The_manifest_matches_the_committed_files()
    {
        var folder = Path.Combine(RepoPaths.Root, "datasets");
        var rows = File.ReadAllLines(Path.Combine(folder, "MANIFEST.md")).Where(l => l.StartsWith("| `")).ToList();
        Assert.True(rows.Count > 300, $"expected every sample file in the manifest, found {rows.Count} rows");
        foreach (var row in rows)
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries);
            var path = Path.Combine(folder, cells[1].Trim('`'));
            Assert.True(File.Exists(path), $"{path} is in the manifest but missing");
            Assert.Equal(long.Parse(cells[2]), new FileInfo(path).Length);
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();
            Assert.Equal(cells[3].Trim('`'), hash);
        }
    }
}
