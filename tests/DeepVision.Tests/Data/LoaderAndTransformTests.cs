using DeepVision.Data;

namespace DeepVision.Tests.Data;

public class LoaderAndTransformTests
{
    private static ImageDataset SampleCifar() => Datasets.CIFAR10(train: false, root: Path.Combine(RepoPaths.Root, "datasets"));

    [Fact]
    public void Batches_cover_every_example_once_scaled_to_unit_range()
    {
        using var data = SampleCifar();
        var loader = new BatchLoader(data, 64, torch.CPU, shuffle: true, seed: 7);
        var seen = new List<long>();
        var batches = 0;
        foreach (var (x, y) in loader)
        {
            Assert.Equal(ScalarType.Float32, x.dtype);
            Assert.Equal(3, x.shape[1]);
            Assert.True(x.min().item<float>() >= 0f && x.max().item<float>() <= 1f);
            seen.AddRange(y.data<long>().ToArray());
            batches++;
        }
        Assert.Equal(8, batches); // 500 examples in batches of 64: 7 full and one of 52
        Assert.Equal(loader.Count, batches);
        Assert.Equal(data.ClassCounts(), Enumerable.Range(0, 10).Select(c => (long)seen.Count(l => l == c)).ToArray());
    }

    [Fact]
    public void Shuffling_is_seeded_and_changes_each_epoch_and_drop_last_drops()
    {
        using var data = SampleCifar();
        long[] FirstLabels(BatchLoader l) => l.Select(b => b.Labels.data<long>().ToArray()).First();
        var a = new BatchLoader(data, 100, torch.CPU, shuffle: true, seed: 1);
        var b = new BatchLoader(data, 100, torch.CPU, shuffle: true, seed: 1);
        var epoch1 = FirstLabels(a);
        Assert.Equal(epoch1, FirstLabels(b));
        Assert.NotEqual(epoch1, FirstLabels(a)); // epoch 2 of the same loader
        var unshuffled = new BatchLoader(data, 100, torch.CPU);
        Assert.Equal(data.Labels[..100].data<long>().ToArray(), FirstLabels(unshuffled));
        var dropLast = new BatchLoader(data, 64, torch.CPU, dropLast: true);
        Assert.Equal(7, dropLast.Count);
        Assert.All(dropLast, batch => Assert.Equal(64, batch.Images.shape[0]));
    }

    [Fact]
    public void Normalize_flip_crop_and_resize_compute_what_they_say()
    {
        using var x = torch.arange(2 * 3 * 4 * 4, dtype: ScalarType.Float32).reshape(2, 3, 4, 4) / 100;
        using var normalized = Transforms.Normalize([0.1f, 0.2f, 0.3f], [2f, 2f, 2f])(x);
        Assert.Equal((x[1, 2, 3, 3].item<float>() - 0.3f) / 2f, normalized[1, 2, 3, 3].item<float>(), 5);

        using var flipped = Transforms.RandomHorizontalFlip(p: 1.0)(x);
        Assert.True(flipped.IsSame(x.flip(3)));
        using var kept = Transforms.RandomHorizontalFlip(p: 0.0)(x);
        Assert.True(kept.IsSame(x));

        using var crop = Transforms.RandomCrop(4, padding: 2, seed: 3)(x);
        Assert.Equal(new long[] { 2, 3, 4, 4 }, crop.shape);
        using var center = Transforms.CenterCrop(2)(x);
        Assert.True(center.IsSame(x[.., .., 1..3, 1..3]));

        using var constant = torch.full(1, 3, 8, 8, 0.25f);
        using var resized = Transforms.Resize(5)(constant);
        Assert.Equal(new long[] { 1, 3, 5, 5 }, resized.shape);
        Assert.True(torch.allclose(resized, torch.full(1, 3, 5, 5, 0.25f), 1e-6, 1e-6));

        using var rrc = Transforms.RandomResizedCrop(3, seed: 5)(x);
        Assert.Equal(new long[] { 2, 3, 3, 3 }, rrc.shape);
    }

    [Fact]
    public void Random_crop_with_padding_takes_a_window_of_the_padded_image()
    {
        using var data = SampleCifar();
        using var batch = data.Images[..16].to_type(ScalarType.Float32) / 255;
        using var crops = Transforms.RandomCrop(32, padding: 4, seed: 11)(batch);
        using var padded = nn.functional.pad(batch, [4, 4, 4, 4]);
        for (var i = 0; i < 16; i++)
        {
            var found = false;
            for (var top = 0; top <= 8 && !found; top++)
                for (var left = 0; left <= 8 && !found; left++)
                    found = padded[i, .., top..(top + 32), left..(left + 32)].IsSame(crops[i]);
            Assert.True(found, $"crop {i} is not a 32x32 window of the padded image");
        }
    }
}
