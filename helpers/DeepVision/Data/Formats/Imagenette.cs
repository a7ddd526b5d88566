namespace DeepVision.Data;

/// <summary>Imagenette: ten easy ImageNet classes (fastai), folders named by WordNet id under train/ and val/.</summary>
public static class Imagenette
{
    /// <summary>The ten classes, in WordNet-id order, with their readable names.</summary>
    public static readonly IReadOnlyDictionary<string, string> ClassNames = new Dictionary<string, string>
    {
        ["n01440764"] = "tench", ["n02102040"] = "English springer", ["n02979186"] = "cassette player",
        ["n03000684"] = "chain saw", ["n03028079"] = "church", ["n03394916"] = "French horn",
        ["n03417042"] = "garbage truck", ["n03425413"] = "gas pump", ["n03445777"] = "golf ball",
        ["n03888257"] = "parachute",
    };

    /// <summary>The ImageNet-1k class index of each Imagenette class (for checking ImageNet-pretrained models).</summary>
    public static readonly IReadOnlyDictionary<string, int> ImageNetIndex = new Dictionary<string, int>
    {
        ["n01440764"] = 0, ["n02102040"] = 217, ["n02979186"] = 482, ["n03000684"] = 491, ["n03028079"] = 497,
        ["n03394916"] = 566, ["n03417042"] = 569, ["n03425413"] = 571, ["n03445777"] = 574, ["n03888257"] = 701,
    };

    /// <summary>
    /// The folder names of the whole imagenette2 split that the helpers read (train/ and val/ with one folder per class),
    /// from the smallest images to the largest: fastai's 160 and 320 px downloads, a copy re-encoded at 224 px, and
    /// the full-size original.
    /// </summary>
    public static readonly IReadOnlyList<string> FullCopies = ["imagenette2-160", "imagenette2-224", "imagenette2-320", "imagenette2"];

    /// <summary>
    /// The whole Imagenette (9,469 training and 3,925 validation images) for images of <paramref name="size"/> px: the
    /// smallest copy of <see cref="FullCopies"/> whose images are at least that size (else the largest there is), in
    /// <c>$DEEPVISION_DATA</c>, then in the user's cache; when there is none, fastai's 160 px archive (320 px for sizes
    /// above 160) is downloaded into the cache, checked against its MD5. The small sample in the repository's
    /// <c>datasets/</c> is never taken for it: pass that folder as a root to use it.
    /// </summary>
    public static string Locate(int size, Downloader? downloader = null, TextWriter? log = null)
    {
        var places = new[] { Environment.GetEnvironmentVariable("DEEPVISION_DATA"), DataLocation.CacheFolder }.Where(p => !string.IsNullOrEmpty(p));
        return FindCopy(size, places!) ?? DataLocation.Resolve(size > 160 ? DatasetCatalog.Imagenette320 : DatasetCatalog.Imagenette160, downloader: downloader, log: log);
    }

    /// <summary>The copy of <see cref="FullCopies"/> under <paramref name="places"/> that <see cref="Locate"/> takes, or null.</summary>
    internal static string? FindCopy(int size, IEnumerable<string> places)
    {
        var present = places.SelectMany(place => FullCopies.Select(copy => Path.Combine(place, copy))).Where(IsComplete).ToList();
        return present.Where(folder => CopySize(folder) >= size).MinBy(CopySize) ?? present.MaxBy(CopySize);
    }

    /// <summary>Whether <paramref name="folder"/> holds train/ and val/ with a folder for each of the ten classes.</summary>
    public static bool IsComplete(string folder) =>
        ClassNames.Keys.All(w => Directory.Exists(Path.Combine(folder, "train", w)) && Directory.Exists(Path.Combine(folder, "val", w)));

    // The pixel size a copy's name promises (the full-size original: larger than any).
    private static int CopySize(string folder) =>
        int.TryParse(Path.GetFileName(folder).Split('-').Skip(1).FirstOrDefault(), out var px) ? px : int.MaxValue;

    /// <summary>Loads the train or val split of an Imagenette folder, resized and centre-cropped to <paramref name="size"/>.</summary>
    public static ImageDataset Load(string root, bool train, int size = 160, int? perClass = null, Func<string, bool>? include = null)
    {
        var split = Path.Combine(root, train ? "train" : "val");
        return ImageFolder.Load(split, size, ClassNames, ClassNames.Keys.ToList(), perClass, train ? "Imagenette train" : "Imagenette val", include);
    }

    /// <summary>
    /// Whether an Imagenette file is one of ImageNet's validation images (<c>ILSVRC2012_val_*</c>). The others
    /// (<c>n0…_NNNN.JPEG</c>) are ImageNet training images, in Imagenette's train/ and val/ alike, which every
    /// ImageNet-pretrained network has seen with their labels: exactly 500 of the 13,394 are validation images, 50 per class.
    /// </summary>
    public static bool IsImageNetValidationImage(string fileName) =>
        Path.GetFileName(fileName).StartsWith("ILSVRC2012_val_", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Imagenette split for ImageNet-pretrained networks: the images ImageNet trained on (of train/ and val/, for
    /// training heads, with a validation split carved from them) and the ImageNet validation images (the test set: images
    /// no ImageNet-pretrained network was trained on).
    /// </summary>
    public static (ImageDataset ImageNetTraining, ImageDataset ImageNetValidation) LoadForPretrained(string root, int size)
    {
        using var seenTrain = Load(root, train: true, size, include: f => !IsImageNetValidationImage(f));
        using var seenVal = Load(root, train: false, size, include: f => !IsImageNetValidationImage(f));
        using var unseenTrain = Load(root, train: true, size, include: IsImageNetValidationImage);
        using var unseenVal = Load(root, train: false, size, include: IsImageNetValidationImage);
        return (ImageDataset.Concat("Imagenette, ImageNet training images", seenTrain, seenVal),
                ImageDataset.Concat("Imagenette, ImageNet validation images", unseenTrain, unseenVal));
    }
}
