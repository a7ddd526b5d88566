namespace DeepVision.Data;

/// <summary>
/// Image transforms as batched tensor operations on float [B, C, H, W] batches, on whatever device the batch is.
/// Each factory returns a function, so transforms compose with <see cref="Compose"/> and plug into
/// <see cref="BatchLoader"/>. Random transforms draw from their own seeded generator: runs are reproducible.
/// </summary>
public static class Transforms
{
    /// <summary>ImageNet's per-channel mean (RGB), used by every torchvision pretrained model.</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    /// <summary>ImageNet's per-channel standard deviation (RGB).</summary>
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    /// <summary>CIFAR-10's training-set mean (RGB).</summary>
    public static readonly float[] Cifar10Mean = [0.4914f, 0.4822f, 0.4465f];
    /// <summary>CIFAR-10's training-set standard deviation (RGB).</summary>
    public static readonly float[] Cifar10Std = [0.2470f, 0.2435f, 0.2616f];
    /// <summary>MNIST's mean and standard deviation (one channel).</summary>
    public static readonly float[] MnistMean = [0.1307f], MnistStd = [0.3081f];

    /// <summary>Applies the transforms in order.</summary>
    public static Func<Tensor, Tensor> Compose(params Func<Tensor, Tensor>[] transforms) =>
        batch => transforms.Aggregate(batch, (x, t) => t(x));

    /// <summary>(x − mean) / std per channel.</summary>
    public static Func<Tensor, Tensor> Normalize(float[] mean, float[] std)
    {
        if (mean.Length != std.Length) throw new ArgumentException("mean and std need one value per channel each.", nameof(std));
        return batch =>
        {
            if (batch.shape[1] != mean.Length)
                throw new ArgumentException($"Normalize has {mean.Length} channel statistics but the batch has {batch.shape[1]} channels.");
            using var m = torch.tensor(mean, device: batch.device).view(1, -1, 1, 1);
            using var s = torch.tensor(std, device: batch.device).view(1, -1, 1, 1);
            return (batch - m) / s;
        };
    }

    /// <summary>Flips each image left-right with probability <paramref name="p"/>.</summary>
    public static Func<Tensor, Tensor> RandomHorizontalFlip(double p = 0.5, int seed = 0)
    {
        var generator = new Generator((ulong)seed);
        return batch =>
        {
            using var draw = torch.rand(batch.shape[0], generator: generator);
            using var mask = (draw < p).to(batch.device).view(-1, 1, 1, 1);
            using var flipped = batch.flip(3);
            return torch.where(mask, flipped, batch);
        };
    }

    /// <summary>Pads each side by <paramref name="padding"/> (zeros) and takes a random size x size crop per image.</summary>
    public static Func<Tensor, Tensor> RandomCrop(int size, int padding = 0, int seed = 0)
    {
        var generator = new Generator((ulong)seed);
        return batch =>
        {
            using var scope = torch.NewDisposeScope();
            var padded = padding > 0 ? nn.functional.pad(batch, [padding, padding, padding, padding]) : batch;
            var h = padded.shape[2];
            var w = padded.shape[3];
            if (h < size || w < size) throw new ArgumentException($"RandomCrop({size}) does not fit a {h}x{w} image.");
            var n = batch.shape[0];
            var tops = torch.randint(0, h - size + 1, [n], generator: generator).data<long>().ToArray();
            var lefts = torch.randint(0, w - size + 1, [n], generator: generator).data<long>().ToArray();
            var crops = new Tensor[n];
            for (var i = 0; i < n; i++)
                crops[i] = padded[i].narrow(1, tops[i], size).narrow(2, lefts[i], size);
            return torch.stack(crops).MoveToOuterDisposeScope();
        };
    }

    /// <summary>The centre size x size crop.</summary>
    public static Func<Tensor, Tensor> CenterCrop(int size) => batch =>
    {
        var h = batch.shape[2];
        var w = batch.shape[3];
        if (h < size || w < size) throw new ArgumentException($"CenterCrop({size}) does not fit a {h}x{w} image.");
        using var rows = batch.narrow(2, (h - size) / 2, size);
        return rows.narrow(3, (w - size) / 2, size).contiguous();
    };

    /// <summary>Bilinear resize to height x width (antialiased when shrinking, as torchvision's Resize on tensors).</summary>
    public static Func<Tensor, Tensor> Resize(int height, int width) => batch =>
        nn.functional.interpolate(batch, [height, width], mode: InterpolationMode.Bilinear, align_corners: false,
            antialias: height < batch.shape[2] || width < batch.shape[3]);

    /// <summary>Bilinear resize to size x size.</summary>
    public static Func<Tensor, Tensor> Resize(int size) => Resize(size, size);

    /// <summary>
    /// torchvision's RandomResizedCrop: per image a random area fraction in <paramref name="scaleMin"/>..<paramref name="scaleMax"/>
    /// and aspect ratio in 3/4..4/3 (log-uniform), cropped and resized bilinearly to size x size.
    /// </summary>
    public static Func<Tensor, Tensor> RandomResizedCrop(int size, double scaleMin = 0.08, double scaleMax = 1.0, int seed = 0)
    {
        var random = new Random(seed);
        return batch =>
        {
            using var scope = torch.NewDisposeScope();
            var n = batch.shape[0];
            var h = (int)batch.shape[2];
            var w = (int)batch.shape[3];
            var crops = new Tensor[n];
            for (var i = 0; i < n; i++)
            {
                var (top, left, ch, cw) = SampleBox(random, h, w, scaleMin, scaleMax);
                var crop = batch[i].narrow(1, top, ch).narrow(2, left, cw).unsqueeze(0);
                crops[i] = nn.functional.interpolate(crop, [size, size], mode: InterpolationMode.Bilinear, align_corners: false, antialias: ch > size || cw > size);
            }
            return torch.cat(crops, 0).MoveToOuterDisposeScope();
        };
    }

    private static (int Top, int Left, int Height, int Width) SampleBox(Random random, int h, int w, double scaleMin, double scaleMax)
    {
        var area = (double)h * w;
        var logRatio = (Math.Log(3.0 / 4), Math.Log(4.0 / 3));
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (scaleMin + random.NextDouble() * (scaleMax - scaleMin));
            var ratio = Math.Exp(logRatio.Item1 + random.NextDouble() * (logRatio.Item2 - logRatio.Item1));
            var cw = (int)Math.Round(Math.Sqrt(target * ratio));
            var ch = (int)Math.Round(Math.Sqrt(target / ratio));
            if (cw > 0 && ch > 0 && cw <= w && ch <= h)
                return (random.Next(h - ch + 1), random.Next(w - cw + 1), ch, cw);
        }
        // Fallback, as torchvision: the whole image (its largest centre crop within the ratio bounds).
        var side = Math.Min(h, w);
        return ((h - side) / 2, (w - side) / 2, side, side);
    }
}
