using System.Collections;

namespace DeepVision.Data;

/// <summary>
/// Mini-batches of an <see cref="ImageDataset"/>: images as float32 [B, C, H, W] in 0–1 (then the transform), labels
/// as int64 [B], both on the chosen device. Shuffling uses a seeded generator, a new order each epoch. Each batch is
/// disposed when the next one is produced (and at the end), so a training loop holds one batch at a time.
/// </summary>
public sealed class BatchLoader : IEnumerable<(Tensor Images, Tensor Labels)>
{
    private readonly ImageDataset _data;
    private int _epoch;

    /// <summary>Creates a loader; nothing is copied until the loop runs.</summary>
    public BatchLoader(ImageDataset data, int batchSize, Device device, bool shuffle = false, int seed = 0,
        bool dropLast = false, Func<Tensor, Tensor>? transform = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        _data = data;
        BatchSize = batchSize;
        Device = device;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Transform = transform;
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
        (Tensor Images, Tensor Labels)? previous = null;
        try
        {
            for (var b = 0; b < Count; b++)
            {
                var start = (long)b * BatchSize;
                var size = Math.Min(BatchSize, _data.Count - start);
                previous?.Images.Dispose();
                previous?.Labels.Dispose();
                previous = MakeBatch(order, start, size);
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
        return MakeBatch(order, 0, Math.Min(BatchSize, _data.Count));
    }

    private (Tensor, Tensor) MakeBatch(Tensor? order, long start, long size)
    {
        using var scope = torch.NewDisposeScope();
        Tensor images, labels;
        if (order is null)
        {
            images = _data.Images.narrow(0, start, size);
            labels = _data.Labels.narrow(0, start, size);
        }
        else
        {
            var index = order.narrow(0, start, size);
            images = _data.Images.index_select(0, index);
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
