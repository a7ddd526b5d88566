using DeepVision.Data;

namespace DeepVision.Tests.Data;

/// <summary>The one-operation batch augmentations against the same crops, resizes, flips and shifts done image by image.</summary>
public class BatchAugmentTests
{
    /// <summary>The first real CIFAR-10 test images of the repository's sample, as floats in 0–1.</summary>
    internal static Tensor CifarBatch(int count)
    {
        using var data = Datasets.CIFAR10(train: false, root: RepoPaths.Samples());
        return data.Images[..count].to_type(ScalarType.Float32).div(255f);
    }

    private static double MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Fact]
    public void Shifts_move_each_real_image_by_whole_pixels_and_mirror_the_edge()
    {
        using var x = CifarBatch(5);
        int[] dy = [0, 2, -2, 1, -1], dx = [0, -2, 2, 2, 0];
        using var shifted = BatchAugment.Translate(x, dy, dx);
        Assert.Equal(x.shape, shifted.shape);
        // Output (r, c) reads (r − dy, c − dx), indices past an edge mirrored about it (the edge pixel repeats).
        static long Reflect(long k, long n) => k < 0 ? -k - 1 : k >= n ? 2 * n - k - 1 : k;
        for (var i = 0; i < 5; i++)
        {
            using var rows = torch.tensor(Enumerable.Range(0, 32).Select(r => Reflect(r - dy[i], 32)).ToArray());
            using var cols = torch.tensor(Enumerable.Range(0, 32).Select(c => Reflect(c - dx[i], 32)).ToArray());
            using var expected = x[i].index_select(1, rows).index_select(2, cols);
            Assert.True(MaxDifference(shifted[i], expected) == 0, $"image {i} shifted by ({dy[i]}, {dx[i]}) differs from the shift done by indexing");
        }
        var translate = BatchAugment.RandomTranslate(2, seed: 3);
        using var a = translate(x);
        using var again = BatchAugment.RandomTranslate(2, seed: 3)(x);
        Assert.True(MaxDifference(a, again) == 0, "the same seed gave other shifts");
        Assert.True(MaxDifference(a, x) > 0, "five random shifts of up to 2 pixels left every image where it was");
    }

    [Fact]
    public void A_crop_of_each_image_is_what_resizing_that_crop_alone_gives()
    {
        using var x = CifarBatch(4);
        var whole = (0.0, 0.0, 32.0, 32.0, false);
        // The whole image at its own size is the image; mirrored, its mirror; at 24 px, bilinear interpolation of it.
        using var same = BatchAugment.CropResize(x, [whole, whole, whole, whole], 32);
        Assert.True(MaxDifference(same, x) < 1e-5);
        using var mirrored = BatchAugment.CropResize(x, [.. Enumerable.Repeat((0.0, 0.0, 32.0, 32.0, true), 4)], 32);
        using var flipped = x.flip(3);
        Assert.True(MaxDifference(mirrored, flipped) < 1e-5);
        using var smaller = BatchAugment.CropResize(x, [whole, whole, whole, whole], 24);
        using var interpolated = nn.functional.interpolate(x, [24, 24], mode: InterpolationMode.Bilinear, align_corners: false);
        Assert.True(MaxDifference(smaller, interpolated) < 1e-5);
        // A 16 x 20 box at (5, 8) of each image, to 24 px: the same as interpolating that crop, away from its border
        // (where the batch version reads the image's pixels beyond the box and the crop alone repeats its edge).
        var box = (5.0, 8.0, 16.0, 20.0, false);
        using var cropped = BatchAugment.CropResize(x, [box, box, box, box], 24);
        using var alone = nn.functional.interpolate(x[.., .., 5..21, 8..28], [24, 24], mode: InterpolationMode.Bilinear, align_corners: false);
        Assert.True(MaxDifference(cropped[.., .., 2..22, 2..22], alone[.., .., 2..22, 2..22]) < 1e-5);
    }

    [Fact]
    public void Random_resized_crops_are_seeded_sized_and_refuse_bytes()
    {
        using var x = CifarBatch(8);
        using var a = BatchAugment.RandomResizedCropFlip(24, seed: 1)(x);
        using var b = BatchAugment.RandomResizedCropFlip(24, seed: 1)(x);
        using var c = BatchAugment.RandomResizedCropFlip(24, seed: 2)(x);
        Assert.Equal([8, 3, 24, 24], a.shape);
        Assert.True(MaxDifference(a, b) == 0);
        Assert.True(MaxDifference(a, c) > 0);
        Assert.InRange(a.min().item<float>(), 0f, 1f);
        using var bytes = x.mul(255).to(ScalarType.Byte);
        Assert.Contains("float image batches", Assert.Throws<ArgumentException>(() => BatchAugment.RandomTranslate(2)(bytes)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchAugment.RandomResizedCropFlip(24, scaleMin: 0));
    }

    [Fact]
    public void The_alternating_flip_mirrors_a_fixed_half_first_then_every_image_each_epoch()
    {
        using var data = Datasets.CIFAR10(train: false, root: RepoPaths.Samples());
        var images = data.Images[..200];
        var flip = BatchAugment.AlternatingFlip(seed: 5);
        using var epoch0 = flip(images, 0);
        using var epoch1 = flip(images, 1);
        using var epoch2 = flip(images, 2);
        using var mirrored = images.flip(-1);
        var flippedFirst = 0;
        for (var i = 0; i < 200; i++)
        {
            var same = epoch0[i].IsSame(images[i]);
            var mirror = epoch0[i].IsSame(mirrored[i]);
            Assert.True(same || mirror, $"image {i} of epoch 0 is neither the image nor its mirror");
            if (mirror && !same) flippedFirst++;
            // The next epoch shows each image the other way round, and the one after as in epoch 0.
            Assert.True(epoch1[i].IsSame(epoch0[i].flip(-1)), $"image {i}: epoch 1 is not epoch 0 mirrored");
        }
        Assert.True(epoch2.IsSame(epoch0), "epoch 2 differs from epoch 0");
        Assert.InRange(flippedFirst, 70, 130); // about half of 200 (binomial: ±3 standard deviations)
        Assert.True(BatchAugment.AlternatingFlip(seed: 5)(images, 0).IsSame(epoch0), "the same seed flipped other images");
        Assert.Equal(ScalarType.Byte, epoch0.dtype);
    }

    [Fact]
    public void A_loader_applies_the_epoch_augmentation_to_the_whole_set_once_per_epoch()
    {
        using var data = Datasets.CIFAR10(train: false, root: RepoPaths.Samples());
        var epochsSeen = new List<int>();
        var loader = new BatchLoader(data, 64, torch.CPU, epochAugment: (images, epoch) =>
        {
            epochsSeen.Add(epoch);
            Assert.Equal(data.Images.shape, images.shape);
            return epoch % 2 == 1 ? images.flip(-1) : images.clone();
        });
        foreach (var epoch in new[] { 0, 1 })
        {
            var first = true;
            foreach (var (x, _) in loader)
            {
                if (!first) continue;
                first = false;
                using var raw = data.Images[..64].to_type(ScalarType.Float32).div(255f);
                using var expected = epoch == 1 ? raw.flip(-1) : raw.alias();
                Assert.True(x.IsSame(expected), $"epoch {epoch}'s first batch is not the augmented images");
            }
        }
        Assert.Equal([0, 1], epochsSeen);
        Assert.True(loader.BatchTime > TimeSpan.Zero);
        var returnsItsInput = new BatchLoader(data, 64, torch.CPU, epochAugment: (images, _) => images);
        var error = Assert.Throws<InvalidOperationException>(() => { foreach (var _ in returnsItsInput) { } });
        Assert.Contains("must return a new", error.Message);
    }
}
