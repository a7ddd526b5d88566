using System.IO.Compression;
using DeepVision.Data;

namespace DeepVision.Tests.Data;

/// <summary>Broken inputs give a clear error naming the file and what was expected; never a partial dataset.</summary>
public class BadDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dv-bad-data").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string CopyMnist()
    {
        var folder = Path.Combine(_dir, "mnist");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "datasets", "mnist")))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return folder;
    }

    [Fact]
    public void A_truncated_gzip_file_is_named()
    {
        var folder = CopyMnist();
        var path = Path.Combine(folder, "t10k-images-idx3-ubyte.gz");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DatasetFormatException>(() => Datasets.MNIST(train: false, root: folder));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void A_wrong_magic_number_says_what_was_expected()
    {
        var folder = CopyMnist();
        // The label file where the image file should be: a valid IDX file of the wrong kind.
        File.Copy(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), overwrite: true);
        var e = Assert.Throws<DatasetFormatException>(() => Datasets.MNIST(train: false, root: folder));
        Assert.Contains("wrong magic number 0x00000801", e.Message);
        Assert.Contains("0x00000803", e.Message);
    }

    [Fact]
    public void Data_shorter_than_its_header_announces_is_refused()
    {
        var folder = CopyMnist();
        var path = Path.Combine(folder, "t10k-labels-idx1-ubyte.gz");
        byte[] raw;
        using (var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress)) { using var m = new MemoryStream(); gz.CopyTo(m); raw = m.ToArray(); }
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest)) gz.Write(raw[..^10]);
        var e = Assert.Throws<DatasetFormatException>(() => Datasets.MNIST(train: false, root: folder));
        Assert.Contains("announces [500] = 500 bytes of data, but the file holds 490", e.Message);
    }

    [Fact]
    public void A_missing_file_in_an_explicit_folder_is_an_error_not_a_fallback()
    {
        var folder = CopyMnist();
        File.Delete(Path.Combine(folder, "train-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<DatasetFormatException>(() => Datasets.MNIST(train: true, root: folder));
        Assert.Contains("missing: train-labels-idx1-ubyte.gz", e.Message);
    }

    [Fact]
    public void A_truncated_cifar_batch_is_named_with_the_record_size()
    {
        var folder = Path.Combine(_dir, "cifar-10");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "datasets", "cifar-10")))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        var path = Path.Combine(folder, "data_batch_3.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..5000]);
        var e = Assert.Throws<DatasetFormatException>(() => Datasets.CIFAR10(train: true, root: folder));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("whole records of 3073 bytes", e.Message);
    }

    [Fact]
    public void Empty_folders_and_non_images_are_named()
    {
        var root = Path.Combine(_dir, "images");
        Directory.CreateDirectory(root);
        Assert.Contains("the folder is empty", Assert.Throws<DatasetFormatException>(() => ImageFolder.Load(root, 32)).Message);

        var cats = Path.Combine(root, "cat");
        Directory.CreateDirectory(cats);
        Assert.Contains("holds no images", Assert.Throws<DatasetFormatException>(() => ImageFolder.Load(root, 32)).Message);

        var sample = Directory.GetFiles(Path.Combine(RepoPaths.Root, "datasets", "imagenette-sample", "train", "n01440764"))[0];
        File.Copy(sample, Path.Combine(cats, "a.jpg"));
        File.WriteAllText(Path.Combine(cats, "notes.txt"), "not an image");
        var e = Assert.Throws<DatasetFormatException>(() => ImageFolder.Load(root, 32));
        Assert.Equal(Path.Combine(cats, "notes.txt"), e.FilePath);
        Assert.Contains("not an image file", e.Message);

        File.Delete(Path.Combine(cats, "notes.txt"));
        File.WriteAllText(Path.Combine(cats, "b.jpg"), "text pretending to be a JPEG");
        var corrupt = Assert.Throws<DatasetFormatException>(() => ImageFolder.Load(root, 32));
        Assert.Equal(Path.Combine(cats, "b.jpg"), corrupt.FilePath);
        Assert.Contains("not a readable image", corrupt.Message);
    }
}
