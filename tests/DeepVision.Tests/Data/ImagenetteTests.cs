using DeepVision.Data;

namespace DeepVision.Tests.Data;

/// <summary>Where the whole Imagenette is found, and the split that keeps ImageNet-pretrained networks off their own training images.</summary>
public class ImagenetteTests
{
    private static readonly string Sample = RepoPaths.Samples("imagenette-sample");

    /// <summary>An Imagenette-shaped folder of real sample JPEGs: in each class of train/ and val/, <paramref name="imageNetTraining"/>
    /// of them renamed as ImageNet training images (n0…_N.JPEG) and <paramref name="imageNetValidation"/> under their own names.</summary>
    private static void MakeCopy(string folder, int imageNetTraining, int imageNetValidation)
    {
        foreach (var split in new[] { "train", "val" })
            foreach (var wnid in Imagenette.ClassNames.Keys)
            {
                var target = Directory.CreateDirectory(Path.Combine(folder, split, wnid)).FullName;
                var files = Directory.GetFiles(Path.Combine(Sample, split, wnid)).Order(StringComparer.Ordinal).ToList();
                for (var i = 0; i < imageNetTraining + imageNetValidation; i++)
                    File.Copy(files[i], Path.Combine(target, i < imageNetTraining ? $"{wnid}_{1000 + i}.JPEG" : Path.GetFileName(files[i])));
            }
    }

    [Fact]
    public void The_pretrained_split_tests_on_imagenet_validation_images_only_and_trains_on_the_rest()
    {
        using var temp = new TempFolder();
        MakeCopy(temp.Path, imageNetTraining: 3, imageNetValidation: 2);
        Assert.True(Imagenette.IsImageNetValidationImage("ILSVRC2012_val_00009279.JPEG"));
        Assert.False(Imagenette.IsImageNetValidationImage("n01440764_10026.JPEG"));
        var (seen, unseen) = Imagenette.LoadForPretrained(temp.Path, size: 32);
        using (seen)
        using (unseen)
        {
            // Both splits of the folder contribute: 10 classes x 2 splits x 3 (or 2) images.
            Assert.Equal(60, seen.Count);
            Assert.Equal(40, unseen.Count);
            Assert.Equal(Enumerable.Repeat(6L, 10), seen.ClassCounts());
            Assert.Equal(Enumerable.Repeat(4L, 10), unseen.ClassCounts());
            Assert.Equal([3, 32, 32], new[] { unseen.Channels, unseen.Height, unseen.Width });
            // The ImageNet validation images are the very pixels of the sample's files of those names.
            using var direct = Imagenette.Load(temp.Path, train: true, size: 32, include: Imagenette.IsImageNetValidationImage);
            Assert.True(unseen.Images[..20].eq(direct.Images).all().item<bool>());
        }
        // The repository's own sample holds both kinds: 6 ImageNet training photos per class (train/ only), the rest
        // ImageNet validation photos, told apart by name alone.
        var (sampleSeen, sampleUnseen) = Imagenette.LoadForPretrained(Sample, size: 16);
        using (sampleSeen)
        using (sampleUnseen)
        {
            var files = Directory.GetFiles(Sample, "*.JPEG", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
            Assert.Equal(60, sampleSeen.Count);
            Assert.Equal(files.Count(f => f!.StartsWith("ILSVRC2012_val_")), sampleUnseen.Count);
            Assert.Equal(files.Count, sampleSeen.Count + sampleUnseen.Count);
        }
    }

    [Fact]
    public void The_smallest_complete_copy_that_fits_the_size_is_taken_and_never_the_sample()
    {
        using var temp = new TempFolder();
        var first = Path.Combine(temp.Path, "data");
        var second = Path.Combine(temp.Path, "cache");
        MakeCopy(Path.Combine(first, "imagenette2-320"), 1, 0);
        MakeCopy(Path.Combine(second, "imagenette2-160"), 1, 0);
        MakeCopy(Path.Combine(second, "imagenette2-224"), 1, 0);
        Directory.CreateDirectory(Path.Combine(second, "imagenette2", "train")); // incomplete: no val/, no classes
        Directory.CreateDirectory(Path.Combine(first, "imagenette-sample", "train"));
        string? Find(int size) => Imagenette.FindCopy(size, [first, second]) is { } f ? Path.GetRelativePath(temp.Path, f) : null;
        Assert.Equal(Path.Combine("cache", "imagenette2-160"), Find(128));
        Assert.Equal(Path.Combine("cache", "imagenette2-160"), Find(160));
        Assert.Equal(Path.Combine("cache", "imagenette2-224"), Find(192));
        Assert.Equal(Path.Combine("data", "imagenette2-320"), Find(256));
        Assert.Equal(Path.Combine("data", "imagenette2-320"), Find(480)); // none is large enough: the largest
        Assert.Null(Imagenette.FindCopy(128, [Path.Combine(temp.Path, "nothing")]));
        Assert.False(Imagenette.IsComplete(Path.Combine(second, "imagenette2")));
    }

    [Fact]
    public void Datasets_of_other_classes_or_sizes_are_not_joined()
    {
        using var a = Imagenette.Load(Sample, train: false, size: 16, perClass: 2);
        using var b = Imagenette.Load(Sample, train: true, size: 16, perClass: 1);
        using var joined = ImageDataset.Concat("joined", a, b);
        Assert.Equal(30, joined.Count);
        Assert.Equal(Enumerable.Repeat(3L, 10), joined.ClassCounts());
        using var other = Imagenette.Load(Sample, train: true, size: 24, perClass: 1);
        Assert.Contains("24", Assert.Throws<ArgumentException>(() => ImageDataset.Concat("bad", a, other)).Message);
        using var mnist = Datasets.MNIST(train: false, root: RepoPaths.Samples());
        Assert.Contains("other classes", Assert.Throws<ArgumentException>(() => ImageDataset.Concat("bad", a, mnist)).Message);
    }
}
