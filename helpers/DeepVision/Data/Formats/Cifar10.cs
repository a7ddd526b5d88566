namespace DeepVision.Data;

/// <summary>
/// The CIFAR-10 binary version: records of 1 label byte followed by 1024 red, 1024 green and 1024 blue bytes
/// (32x32, row-major), in data_batch_1..5.bin (training) and test_batch.bin, with the class names in batches.meta.txt.
/// </summary>
public static class Cifar10
{
    /// <summary>Bytes per record: one label byte and 3 x 32 x 32 pixel bytes.</summary>
    public const int RecordSize = 1 + 3 * 32 * 32;

    /// <summary>The five training batch files, 10,000 records each in the full dataset.</summary>
    public static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    /// <summary>The test batch file.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>Reads the training (all five batches) or test split from a folder.</summary>
    public static ImageDataset Load(string folder, bool train)
    {
        var classNames = ReadClassNames(folder);
        var files = train ? TrainFiles : [TestFile];
        var paths = files.Select(f => Path.Combine(folder, f)).ToArray();
        var missing = paths.Where(p => !File.Exists(p)).ToList();
        if (missing.Count > 0)
            throw new DatasetFormatException(missing[0],
                $"missing CIFAR-10 file{(missing.Count > 1 ? "s" : "")} ({string.Join(", ", missing.Select(Path.GetFileName))}); the folder must hold {string.Join(", ", files)}.");

        var contents = paths.Select(ReadRecords).ToArray();
        var total = contents.Sum(c => c.Length / RecordSize);
        var pixels = new byte[(long)total * 3072];
        var labels = new long[total];
        var offset = 0;
        foreach (var (content, path) in contents.Zip(paths))
        {
            var count = content.Length / RecordSize;
            // Records are independent: split them over the cores.
            var start = offset;
            try
            {
                Parallel.For(0, count, i =>
            {
                var label = content[i * RecordSize];
                if (label > 9) throw new DatasetFormatException(path, $"record {i} has label {label}; CIFAR-10 labels are 0–9.");
                labels[start + i] = label;
                Buffer.BlockCopy(content, i * RecordSize + 1, pixels, (start + i) * 3072, 3072);
            });
            }
            catch (AggregateException e) when (e.InnerExceptions.OfType<DatasetFormatException>().FirstOrDefault() is { } first)
            {
                throw first;
            }
            offset += count;
        }
        return new ImageDataset(train ? "CIFAR-10 train" : "CIFAR-10 test",
            torch.tensor(pixels, [total, 3, 32, 32], ScalarType.Byte), torch.tensor(labels), classNames);
    }

    private static byte[] ReadRecords(string path)
    {
        var content = File.ReadAllBytes(path);
        if (content.Length == 0 || content.Length % RecordSize != 0)
            throw new DatasetFormatException(path,
                $"a CIFAR-10 binary batch holds whole records of {RecordSize} bytes, but this file has {content.Length} bytes (truncated or not a CIFAR-10 batch).");
        return content;
    }

    private static IReadOnlyList<string> ReadClassNames(string folder)
    {
        var meta = Path.Combine(folder, "batches.meta.txt");
        if (!File.Exists(meta))
            throw new DatasetFormatException(meta, "missing: the CIFAR-10 folder must hold batches.meta.txt with the 10 class names.");
        var names = File.ReadAllLines(meta).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != 10)
            throw new DatasetFormatException(meta, $"expected 10 class names, one per line, found {names.Length}.");
        return names;
    }
}
