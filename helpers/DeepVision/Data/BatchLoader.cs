using System.Collections;

namespace DeepVision.Data;

/// <summary>
/// Mini-batches of an <see cref="ImageDataset"/>: images as float32 [B, C, H, W] in 0–1 (then the transform), labels
/// as int64 [B], both on the chosen device. Shuffling uses a seeded generator, a new order each epoch. Each batch is
/// disposed when the next one is produced (and at the end), so a training loop holds one batch at a time. An
/// <see cref="EpochAugment"/> may change the whole set of images once per epoch, before it is cut into batches.
/// </summary>
public sealed class BatchLoader : IEnumerable<(Tensor Images, Tensor Labels)>
{
    private readonly ImageDataset _data;
    private int _epoch;
    private long _batchTicks;

    /// <summary>Creates a loader; nothing is copied until the loop runs.</summary>
    public BatchLoader(ImageDataset data, int batchSize, Device device, bool shuffle = false, int seed = 0,
        bool dropLast = false, Func<Tensor, Tensor>? transform = null, Func<Tensor, int, Tensor>? epochAugment = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        _data = data;
        BatchSize = batchSize;
        Device = device;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Transform = transform;
        EpochAugment = epochAugment;
    }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Where batches are placed.</summary>
    public Device Device { get; }
    /// <summary>Whether each epoch visits the examples in a new random order.</summary>
    public bool Shuffle { get; }
    /// <summary>Seed of the shuffling order (epoch e uses seed + e).</summary>
    public int Seed { get; }
    /// <summary>Whether a last, smaller batch is dropped.</summary>
    public bool DropLast { get; }
    /// <summary>Applied to each float batch on the device (augmentation, normalization).</summary>
    public Func<Tensor, Tensor>? Transform { get; }
    /// <summary>
    /// Applied once at the start of each epoch to the dataset's whole uint8 image tensor [N, C, H, W], with the number
    /// of the epoch (0, 1, …); it returns a new tensor of the same shape, the epoch's images, which the loader disposes
    /// at the epoch's end (<see cref="BatchAugment.AlternatingFlip"/>). <see cref="Transform"/> then runs per batch.
    /// </summary>
    public Func<Tensor, int, Tensor>? EpochAugment { get; }
    /// <summary>The time this loader has spent making batches so far (epoch augmentation, indexing, copying, converting,
    /// <see cref="Transform"/>): subtracted from a training epoch's time, what is left is the network's.</summary>
    public TimeSpan BatchTime => TimeSpan.FromTicks(_batchTicks);
    /// <summary>The dataset the batches come from.</summary>
    public ImageDataset Dataset => _data;

    /// <summary>Number of batches per epoch.</summary>
    public int Count => (int)(DropLast ? _data.Count / BatchSize : (_data.Count + BatchSize - 1) / BatchSize);

    /// <summary>Number of examples per epoch.</summary>
    public long ExampleCount => DropLast ? Count * (long)BatchSize : _data.Count;

    /// <inheritdoc />
    public IEnumerator<(Tensor Images, Tensor Labels)> GetEnumerator()
    {
        var epoch = _epoch++;
        using var order = Shuffle ? Permutation(_data.Count, Seed + epoch) : null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var images = EpochImages(epoch);
        _batchTicks += System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
        (Tensor Images, Tensor Labels)? previous = null;
        try
        {
            for (var b = 0; b < Count; b++)
            {
                var start = (long)b * BatchSize;
                var size = Math.Min(BatchSize, _data.Count - start);
                previous?.Images.Dispose();
                previous?.Labels.Dispose();
                started = System.Diagnostics.Stopwatch.GetTimestamp();
                previous = MakeBatch(images ?? _data.Images, order, start, size);
                _batchTicks += System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
                yield return previous.Value;
            }
        }
        finally
        {
            previous?.Images.Dispose();
            previous?.Labels.Dispose();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// One batch (the first of an epoch in this loader's order) that the caller owns, for looking at data and shapes.
    /// LINQ's <c>First()</c> would hand back a batch the loop has already disposed.
    /// </summary>
    public (Tensor Images, Tensor Labels) FirstBatch()
    {
        using var order = Shuffle ? Permutation(_data.Count, Seed) : null;
        using var images = EpochImages(0);
        return MakeBatch(images ?? _data.Images, order, 0, Math.Min(BatchSize, _data.Count));
    }

    private Tensor? EpochImages(int epoch)
    {
        if (EpochAugment is null) return null;
        using var scope = torch.NewDisposeScope();
        var images = EpochAugment(_data.Images, epoch);
        if (images.Handle == _data.Images.Handle || !images.shape.SequenceEqual(_data.Images.shape) || images.dtype != _data.Images.dtype)
            throw new InvalidOperationException($"The epoch augmentation of {_data.Name} must return a new {_data.Images.dtype} tensor {_data.Images.ShapeText()}, not {(images.Handle == _data.Images.Handle ? "the dataset's own tensor" : $"{images.dtype} {images.ShapeText()}")}.");
        return images.MoveToOuterDisposeScope();
    }

    private (Tensor, Tensor) MakeBatch(Tensor allImages, Tensor? order, long start, long size)
    {
        using var scope = torch.NewDisposeScope();
        Tensor images, labels;
        if (order is null)
        {
            images = allImages.narrow(0, start, size);
            labels = _data.Labels.narrow(0, start, size);
        }
        else
        {
            var index = order.narrow(0, start, size);
            images = allImages.index_select(0, index);
            labels = _data.Labels.index_select(0, index);
        }
        // Move the compact uint8 pixels, then convert on the device: four times less to copy to a GPU.
        var x = images.to(Device).to_type(ScalarType.Float32).div_(255f);
        if (Transform is not null) x = Transform(x);
        var y = labels.to(Device);
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    private static Tensor Permutation(long n, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return torch.randperm(n, generator: generator);
    }
}
