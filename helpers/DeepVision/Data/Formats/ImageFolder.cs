namespace DeepVision.Data;

/// <summary>
/// A folder of images with one sub-folder per class (<c>root/&lt;class&gt;/*.jpg</c>), the layout of torchvision's
/// ImageFolder and of Imagenette's train/ and val/ folders. Images are decoded once, in parallel, resized to a square,
/// into one uint8 tensor: training then never decodes a JPEG again. A progress line shows how far decoding is.
/// </summary>
public static class ImageFolder
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// Loads every image under <paramref name="root"/> as uint8 [N, 3, size, size]; classes are the sub-folders in
    /// ordinal order, or <paramref name="classFolders"/> in the given order. <paramref name="classNames"/> maps a folder
    /// name to a readable name (Imagenette's WordNet ids). <paramref name="perClass"/> keeps the first files of each class;
    /// <paramref name="include"/>, when given, keeps only the files whose name (without folder) it accepts.
    /// </summary>
    public static ImageDataset Load(string root, int size, IReadOnlyDictionary<string, string>? classNames = null,
        IReadOnlyList<string>? classFolders = null, int? perClass = null, string? name = null, Func<string, bool>? include = null)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "The image size must be positive.");
        if (!Directory.Exists(root))
            throw new DatasetFormatException(root, "the folder does not exist; expected one sub-folder of images per class.");
        var folders = classFolders ?? Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;
        if (folders.Count == 0)
            throw new DatasetFormatException(root, "the folder is empty; expected one sub-folder of images per class.");

        var files = new List<(string Path, int Label)>();
        for (var label = 0; label < folders.Count; label++)
        {
            var folder = Path.Combine(root, folders[label]!);
            if (!Directory.Exists(folder))
                throw new DatasetFormatException(folder, "the class folder does not exist.");
            var images = Directory.GetFiles(folder)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (images.Count == 0)
                throw new DatasetFormatException(folder, "the class folder holds no images.");
            var notImages = images.Where(f => !ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).ToList();
            if (notImages.Count > 0)
                throw new DatasetFormatException(notImages[0],
                    $"not an image file (expected {string.Join(", ", ImageExtensions)}); remove it from the class folder.");
            files.AddRange(images.Where(f => include?.Invoke(Path.GetFileName(f)) ?? true).Take(perClass ?? int.MaxValue).Select(f => (f, label)));
        }

        var pixels = new byte[(long)files.Count * 3 * size * size];
        var plane = 3 * size * size;
        var what = $"{name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(root))} at {size} px";
        var progress = new DecodeProgress(what, files.Count);
        try
        {
            Parallel.For(0, files.Count, i =>
            {
                var decoded = ImageCodec.DecodeSquare(files[i].Path, size);
                Buffer.BlockCopy(decoded, 0, pixels, i * plane, plane);
                progress.OneMore();
            });
            progress.Finish();
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<DatasetFormatException>().FirstOrDefault() is { } first)
        {
            throw first; // The file at fault, not a wrapper: the first bad image is named.
        }
        var names = folders.Select(f => classNames?.GetValueOrDefault(f!) ?? f!).ToList();
        return new ImageDataset(name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(root)),
            torch.tensor(pixels, [files.Count, 3, size, size], ScalarType.Byte),
            torch.tensor(files.Select(f => (long)f.Label).ToArray()), names);
    }

    /// <summary>A line that counts decoded images, updated in place about twice a second, and ends with the time taken.</summary>
    private sealed class DecodeProgress(string what, int total)
    {
        private readonly System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();
        private readonly LiveDisplay live = LiveDisplay.Show($"decoding {what}: 0 of {total:N0} images");
        private readonly Lock gate = new();
        private int done;
        private double shownAt;

        public void OneMore()
        {
            var count = Interlocked.Increment(ref done);
            if (!LiveDisplay.Active || watch.Elapsed.TotalSeconds < shownAt + 0.5) return;
            lock (gate)
            {
                if (watch.Elapsed.TotalSeconds < shownAt + 0.5) return;
                shownAt = watch.Elapsed.TotalSeconds;
                live.Update($"decoding {what}: {count:N0} of {total:N0} images ({100.0 * count / total:F0}%), {shownAt:F0} s");
            }
        }

        public void Finish() => live.Finish($"decoded {total:N0} images of {what} in {watch.Elapsed.TotalSeconds:F1} s");
    }
}
