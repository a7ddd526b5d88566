namespace DeepVision.Data;

/// <summary>The file names a dataset's folder must hold (shared by the catalog and the format readers).</summary>
internal static class DataFiles
{
    public static readonly string[] Cifar10Files = [.. Data.Cifar10.TrainFiles, Data.Cifar10.TestFile, "batches.meta.txt"];
}
