namespace DeepVision.Data;

/// <summary>
/// A labelled image dataset held in memory: images as uint8 [N, C, H, W] (0–255, the files' own values), labels as
/// int64 [N], and the class names. Batches are converted to float and moved to a device by <see cref="BatchLoader"/>.
/// </summary>
public sealed class ImageDataset : IDisposable
{
    /// <summary>Wraps tensors that the dataset then owns (and disposes).</summary>
    public ImageDataset(string name, Tensor images, Tensor labels, IReadOnlyList<string> classNames)
    {
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException($"{name}: images must be uint8 [N, C, H, W], not {images.dtype} {images.ShapeText()}.", nameof(images));
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"{name}: labels must be int64 [{images.shape[0]}], not {labels.dtype} {labels.ShapeText()}.", nameof(labels));
        Name = name;
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        ClassNames = classNames;
    }

    /// <summary>A readable name such as "MNIST train".</summary>
    public string Name { get; }

    /// <summary>uint8 [N, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>int64 [N], values in 0 .. ClassNames.Count − 1.</summary>
    public Tensor Labels { get; }

    /// <summary>The name of each class, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of examples.</summary>
    public long Count => Images.shape[0];
    /// <summary>Channels per image (1 grey, 3 RGB).</summary>
    public long Channels => Images.shape[1];
    /// <summary>Image height in pixels.</summary>
    public long Height => Images.shape[2];
    /// <summary>Image width in pixels.</summary>
    public long Width => Images.shape[3];

    /// <summary>The first <paramref name="count"/> examples (or all), as a new dataset.</summary>
    public ImageDataset Take(long count)
    {
        var n = Math.Min(count, Count);
        return new ImageDataset(Name, Images.narrow(0, 0, n).clone(), Labels.narrow(0, 0, n).clone(), ClassNames);
    }

    /// <summary>
    /// Splits off a validation set: <paramref name="validationCount"/> examples drawn at random (reproducibly, from
    /// <paramref name="seed"/>) become the validation set and the rest the training set, both new datasets. Settings are
    /// chosen on the validation set, so that the test set measures the chosen model only once.
    /// </summary>
    public (ImageDataset Train, ImageDataset Validation) Split(long validationCount, int seed = 0)
    {
        if (validationCount <= 0 || validationCount >= Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"{Name} has {Count} examples: the validation set needs between 1 and {Count - 1} of them.");
        using var generator = new torch.Generator((ulong)seed);
        using var order = torch.randperm(Count, generator: generator);
        using var validationIndex = order.narrow(0, 0, validationCount);
        using var trainIndex = order.narrow(0, validationCount, Count - validationCount);
        return (new ImageDataset($"{Name} (train split)", Images.index_select(0, trainIndex), Labels.index_select(0, trainIndex), ClassNames),
                new ImageDataset($"{Name} (validation split)", Images.index_select(0, validationIndex), Labels.index_select(0, validationIndex), ClassNames));
    }

    /// <summary>The examples of several datasets of the same classes and image size, in order, as a new dataset.</summary>
    public static ImageDataset Concat(string name, params ImageDataset[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("Concat needs at least one dataset.", nameof(parts));
        var first = parts[0];
        foreach (var part in parts.Skip(1))
        {
            if (!part.ClassNames.SequenceEqual(first.ClassNames))
                throw new ArgumentException($"{part.Name} has other classes than {first.Name}: only datasets of the same classes can be joined.", nameof(parts));
            if (part.Channels != first.Channels || part.Height != first.Height || part.Width != first.Width)
                throw new ArgumentException($"{part.Name} has images of {part.Channels}x{part.Height}x{part.Width}, {first.Name} of {first.Channels}x{first.Height}x{first.Width}.", nameof(parts));
        }
        return new ImageDataset(name, torch.cat(parts.Select(p => p.Images).ToArray()), torch.cat(parts.Select(p => p.Labels).ToArray()), first.ClassNames);
    }

    /// <summary>Examples per class, in class order.</summary>
    public long[] ClassCounts()
    {
        using var counts = torch.bincount(Labels, minlength: ClassNames.Count);
        return counts.data<long>().ToArray();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {Count} images of {Channels}x{Height}x{Width}, {ClassNames.Count} classes";

    /// <summary>Frees the native memory of the images and labels.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>A dataset file that is missing, truncated or not in the expected format. The message names the file.</summary>
public sealed class DatasetFormatException(string path, string problem) : Exception($"{path}: {problem}")
{
    /// <summary>The file (or folder) at fault.</summary>
    public string FilePath { get; } = path;
}
