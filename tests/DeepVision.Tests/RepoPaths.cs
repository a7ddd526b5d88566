namespace DeepVision.Tests;

/// <summary>Where the repository, its samples and its test data are, seen from a test.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// A file or folder under tests/data/ (made by tests/data/generate.py or vendored, see tests/data/README.md).
    /// It is part of the repository, so a missing one is an error, never a skip.
    /// </summary>
    public static string TestData(params string[] parts)
    {
        var path = Path.Combine([Root, "tests", "data", .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new InvalidOperationException(
                $"Test data is missing: {path}. It belongs to the repository (tests/data/README.md says how it is made); restore it with git.");
        return path;
    }

    /// <summary>The small real samples the notebooks use offline (datasets/).</summary>
    public static string Samples(params string[] parts) => Path.Combine([Root, "datasets", .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DeepVision.slnx")))
                return dir.FullName;
        throw new InvalidOperationException($"No DeepVision.slnx above {AppContext.BaseDirectory}.");
    }
}

/// <summary>Tensor comparisons for assertions.</summary>
internal static class TensorAssertions
{
    /// <summary>Same shape and every element equal.</summary>
    public static bool IsSame(this TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }
}
