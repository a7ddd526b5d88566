namespace DeepVision.Data;

/// <summary>
/// Augmentations of a whole batch in one tensor operation each (GPU-style: no loop over images): every image gets its
/// own random crop, scale, flip or shift, and the batch is resampled at once with <c>grid_sample</c>. They plug into
/// <see cref="BatchLoader"/> like <see cref="Transforms"/>, on float batches, on any device; each draws from its own
/// seeded generator, so runs are reproducible.
/// </summary>
public static class BatchAugment
{
    /// <summary>
    /// torchvision's RandomResizedCrop followed by RandomHorizontalFlip, for a whole batch in one resampling: per image
    /// an area fraction in <paramref name="scaleMin"/>..<paramref name="scaleMax"/> of the image and an aspect ratio in
    /// 3/4..4/3 (log-uniform), a random position, and a mirror with probability 1/2 when <paramref name="flip"/>; the box
    /// is resampled bilinearly to <paramref name="size"/> × <paramref name="size"/> (no antialiasing: keep the decoded
    /// images near the training size, as fastai's progressive resizing does).
    /// </summary>
    public static Func<Tensor, Tensor> RandomResizedCropFlip(int size, double scaleMin = 0.35, double scaleMax = 1.0, bool flip = true, int seed = 0)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "The output size must be positive.");
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) throw new ArgumentOutOfRangeException(nameof(scaleMin), $"The area fractions need 0 < scaleMin ≤ scaleMax ≤ 1, not {scaleMin} and {scaleMax}.");
        var random = new Random(seed);
        return batch =>
        {
            var (n, h, w) = ((int)batch.shape[0], (int)batch.shape[2], (int)batch.shape[3]);
            var boxes = new (double Top, double Left, double Height, double Width, bool Flip)[n];
            for (var i = 0; i < n; i++)
            {
                var area = scaleMin + random.NextDouble() * (scaleMax - scaleMin);
                var ratio = Math.Exp(Math.Log(3.0 / 4) + random.NextDouble() * (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)));
                var bw = Math.Min(w, Math.Sqrt(area * h * w * ratio));
                var bh = Math.Min(h, Math.Sqrt(area * h * w / ratio));
                boxes[i] = (random.NextDouble() * (h - bh), random.NextDouble() * (w - bw), bh, bw, flip && random.Next(2) == 1);
            }
            return CropResize(batch, boxes, size);
        };
    }

    /// <summary>
    /// Shifts each image by a whole number of pixels, up to <paramref name="pixels"/> in each direction (uniform,
    /// independently per image and axis), filling the edge by reflection: airbench's translate augmentation, the
    /// classic pad-and-random-crop of CIFAR-10 without the padded border of zeros.
    /// </summary>
    public static Func<Tensor, Tensor> RandomTranslate(int pixels, int seed = 0)
    {
        if (pixels < 0) throw new ArgumentOutOfRangeException(nameof(pixels), pixels, "The largest shift cannot be negative.");
        var random = new Random(seed);
        return batch =>
        {
            var n = (int)batch.shape[0];
            var dy = new int[n];
            var dx = new int[n];
            for (var i = 0; i < n; i++) (dy[i], dx[i]) = (random.Next(-pixels, pixels + 1), random.Next(-pixels, pixels + 1));
            return Translate(batch, dy, dx);
        };
    }

    /// <summary>
    /// airbench's alternating flip, for <see cref="BatchLoader"/>'s <c>epochAugment</c>: in epoch 0 a random half of the
    /// images is mirrored (each image's coin is drawn once, from <paramref name="seed"/>), and every later epoch mirrors
    /// all images relative to the epoch before. Every image is so seen both ways round in every two consecutive epochs,
    /// where independent coin flips would show half of them the same way twice in a row.
    /// </summary>
    public static Func<Tensor, int, Tensor> AlternatingFlip(int seed = 0)
    {
        Tensor? firstEpochFlips = null;
        return (images, epoch) =>
        {
            if (images.dim() != 4) throw new ArgumentException($"The alternating flip takes images [N, C, H, W], not {images.ShapeText()}.", nameof(images));
            if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "Epochs count from 0.");
            if (firstEpochFlips is null || firstEpochFlips.shape[0] != images.shape[0])
            {
                firstEpochFlips?.Dispose();
                using var generator = new Generator((ulong)seed);
                firstEpochFlips = torch.randint(0, 2, [images.shape[0]], generator: generator, dtype: ScalarType.Bool).DetachFromDisposeScope();
            }
            using var scope = torch.NewDisposeScope();
            var flips = (epoch % 2 == 0 ? firstEpochFlips : firstEpochFlips.logical_not()).to(images.device).view(-1, 1, 1, 1);
            return torch.where(flips, images.flip(-1), images).MoveToOuterDisposeScope();
        };
    }

    /// <summary>Each image i shifted down by dy[i] and right by dx[i] pixels, edges filled by reflection (exact: nearest sampling at whole pixels).</summary>
    internal static Tensor Translate(Tensor batch, int[] dy, int[] dx)
    {
        using var scope = torch.NewDisposeScope();
        var (n, h, w) = (batch.shape[0], batch.shape[2], batch.shape[3]);
        var theta = new float[n * 6];
        for (var i = 0; i < n; i++)
        {
            // Output pixel (r, c) reads input (r − dy, c − dx); with align_corners=false one pixel is 2/size in grid units.
            theta[i * 6 + 0] = 1; theta[i * 6 + 2] = -2f * dx[i] / w;
            theta[i * 6 + 4] = 1; theta[i * 6 + 5] = -2f * dy[i] / h;
        }
        return Resample(batch, theta, h, w, GridSampleMode.Nearest, GridSamplePaddingMode.Reflection).MoveToOuterDisposeScope();
    }

    /// <summary>Each image's box (pixel units, top-left corner and size; optionally mirrored) resampled bilinearly to size × size.</summary>
    internal static Tensor CropResize(Tensor batch, (double Top, double Left, double Height, double Width, bool Flip)[] boxes, int size)
    {
        using var scope = torch.NewDisposeScope();
        var (h, w) = (batch.shape[2], batch.shape[3]);
        var theta = new float[boxes.Length * 6];
        for (var i = 0; i < boxes.Length; i++)
        {
            var (top, left, bh, bw, mirror) = boxes[i];
            // Grid x of output column j is a·g + b with g = (2j + 1)/size − 1: a = bw/w, b = (2·left + bw)/w − 1 puts the
            // column centres at left + (j + ½)·bw/size, where interpolating the box alone would put them.
            theta[i * 6 + 0] = (float)(bw / w * (mirror ? -1 : 1)); theta[i * 6 + 2] = (float)((2 * left + bw) / w - 1);
            theta[i * 6 + 4] = (float)(bh / h); theta[i * 6 + 5] = (float)((2 * top + bh) / h - 1);
        }
        return Resample(batch, theta, size, size, GridSampleMode.Bilinear, GridSamplePaddingMode.Border).MoveToOuterDisposeScope();
    }

    private static Tensor Resample(Tensor batch, float[] theta, long height, long width, GridSampleMode mode, GridSamplePaddingMode padding)
    {
        if (batch.dim() != 4 || !batch.is_floating_point())
            throw new ArgumentException($"Batch augmentations take float image batches [N, C, H, W], not {batch.dtype} {batch.ShapeText()}.", nameof(batch));
        var n = batch.shape[0];
        var affine = torch.tensor(theta, [n, 2, 3], device: batch.device).to(batch.dtype);
        var grid = nn.functional.affine_grid(affine, [n, batch.shape[1], height, width], align_corners: false);
        return nn.functional.grid_sample(batch, grid, mode, padding, align_corners: false);
    }
}
