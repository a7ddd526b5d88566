namespace DeepVision.Data;

/// <summary>
/// The datasets of the course, found (or downloaded) by <see cref="DataLocation"/>. Pass <c>root</c> to read a
/// specific folder, for example the small samples in the repository's <c>datasets/</c> folder.
/// </summary>
public static class Datasets
{
    /// <summary>The digits 0–9.</summary>
    public static readonly string[] MnistClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Fashion-MNIST's ten classes, by label.</summary>
    public static readonly string[] FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST handwritten digits: uint8 [N, 1, 28, 28], 60,000 train / 10,000 test.</summary>
    public static ImageDataset MNIST(bool train, string? root = null) =>
        LoadIdx(DataLocation.Resolve(DatasetCatalog.Mnist, root), train, MnistClasses, train ? "MNIST train" : "MNIST test");

    /// <summary>Fashion-MNIST: uint8 [N, 1, 28, 28], 60,000 train / 10,000 test, ten clothing classes.</summary>
    public static ImageDataset FashionMNIST(bool train, string? root = null) =>
        LoadIdx(DataLocation.Resolve(DatasetCatalog.FashionMnist, root), train, FashionMnistClasses, train ? "Fashion-MNIST train" : "Fashion-MNIST test");

    /// <summary>CIFAR-10: uint8 [N, 3, 32, 32], 50,000 train / 10,000 test.</summary>
    public static ImageDataset CIFAR10(bool train, string? root = null) =>
        Cifar10.Load(DataLocation.Resolve(DatasetCatalog.Cifar10, root), train);

    /// <summary>
    /// Imagenette: uint8 [N, 3, size, size], 9,469 train / 3,925 val, every image decoded once at <paramref name="size"/>
    /// px. With no root it reads the whole dataset where <see cref="Data.Imagenette.Locate"/> finds it (or downloads
    /// it); pass a root (such as the repository's <c>datasets/imagenette-sample</c>) to read that folder.
    /// </summary>
    public static ImageDataset Imagenette(bool train, int size = 160, string? root = null, int? perClass = null)
    {
        var folder = root is null ? Data.Imagenette.Locate(size)
            : Directory.Exists(Path.Combine(root, "train")) ? root
            : DataLocation.Resolve(size > 160 ? DatasetCatalog.Imagenette320 : DatasetCatalog.Imagenette160, root);
        return Data.Imagenette.Load(folder, train, size, perClass);
    }

    private static ImageDataset LoadIdx(string folder, bool train, string[] classes, string name)
    {
        var prefix = train ? "train" : "t10k";
        var images = Idx.ReadImages(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"));
        var labels = Idx.ReadLabels(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"));
        if (images.shape[0] != labels.shape[0])
        {
            var count = images.shape[0];
            images.Dispose();
            labels.Dispose();
            throw new DatasetFormatException(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"),
                $"{labels.shape[0]} labels for {count} images: the image and label files do not belong together.");
        }
        return new ImageDataset(name, images, labels, classes);
    }
}
