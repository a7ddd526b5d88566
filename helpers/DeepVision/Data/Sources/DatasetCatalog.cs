namespace DeepVision.Data;

/// <summary>A file of a dataset: its name, its MD5 and where it can be downloaded (mirrors in order).</summary>
public sealed record DatasetFile(string Name, string? Md5, IReadOnlyList<string> Urls);

/// <summary>
/// A dataset the helpers know: the folder it lives in, the files that must be there, and how to get them. Files
/// are either downloaded one by one, or come out of one archive (<see cref="Archive"/>) whose MD5 is checked.
/// </summary>
public sealed record DatasetSource(string Folder, IReadOnlyList<DatasetFile> Files, DatasetFile? Archive = null, string? ArchiveSubfolder = null)
{
    /// <summary>Files (or folders) that must exist for the dataset to be complete.</summary>
    public IEnumerable<string> RequiredFiles => Files.Select(f => f.Name);

    /// <summary>The required files (or folders) of <see cref="RequiredFiles"/> that <paramref name="folder"/> lacks.</summary>
    public IEnumerable<string> MissingFrom(string folder) =>
        RequiredFiles.Where(f => !File.Exists(Path.Combine(folder, f)) && !Directory.Exists(Path.Combine(folder, f)));

    /// <summary>Whether <paramref name="folder"/> holds every required file.</summary>
    public bool IsCompleteIn(string folder) => Directory.Exists(folder) && !MissingFrom(folder).Any();
}

/// <summary>The official locations and checksums of the datasets of the course.</summary>
public static class DatasetCatalog
{
    // torchvision's mirror first (the original site throttles), then the original.
    private static readonly string[] MnistMirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"];
    private static readonly string[] FashionMirrors =
    [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ];

    private static DatasetFile Idx(string name, string md5, string[] mirrors) => new(name, md5, mirrors.Select(m => m + name).ToList());

    /// <summary>MNIST: the four IDX files with their official MD5s.</summary>
    public static readonly DatasetSource Mnist = new("mnist",
    [
        Idx("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", MnistMirrors),
        Idx("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", MnistMirrors),
        Idx("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", MnistMirrors),
        Idx("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", MnistMirrors),
    ]);

    /// <summary>Fashion-MNIST: the four IDX files with the MD5s published in Zalando's README.</summary>
    public static readonly DatasetSource FashionMnist = new("fashion-mnist",
    [
        Idx("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", FashionMirrors),
        Idx("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", FashionMirrors),
        Idx("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", FashionMirrors),
        Idx("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", FashionMirrors),
    ]);

    /// <summary>CIFAR-10, binary version: one archive with the published MD5, unpacked into the folder.</summary>
    public static readonly DatasetSource Cifar10 = new("cifar-10",
        [.. DataFiles.Cifar10Files.Select(f => new DatasetFile(f, null, []))],
        new DatasetFile("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530", ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"]),
        "cifar-10-batches-bin");

    /// <summary>Imagenette with the shorter side at 160 px (fastai); the MD5 is the one torchvision's Imagenette dataset checks.</summary>
    public static readonly DatasetSource Imagenette160 = ImagenetteSource(160, "e793b78cc4c9e9a4ccc0c1155377a412");

    /// <summary>Imagenette with the shorter side at 320 px, for inputs larger than 160 px (224 px models).</summary>
    public static readonly DatasetSource Imagenette320 = ImagenetteSource(320, "3df6f0d01a2c9592104656642f5e78a3");

    /// <summary>Every dataset the full profiles use: what <c>./build.sh data</c> downloads.</summary>
    public static IReadOnlyList<DatasetSource> All => [Mnist, FashionMnist, Cifar10, Imagenette160, Imagenette320];

    private static DatasetSource ImagenetteSource(int size, string md5) => new($"imagenette2-{size}",
        [.. Imagenette.ClassNames.Keys.SelectMany(w => new[] { $"train/{w}", $"val/{w}" }).Select(f => new DatasetFile(f, null, []))],
        new DatasetFile($"imagenette2-{size}.tgz", md5, [$"https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-{size}.tgz"]),
        $"imagenette2-{size}");
}
