namespace DeepVision.Tests;

/// <summary>Where the repository, its samples and the shared real data are, seen from a test.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// The real datasets and PyTorch fixtures: DEEPVISION_SHARED (build.sh finds and sets it), else ../shared next to
    /// the checkout.
    /// </summary>
    public static string Shared =>
        Environment.GetEnvironmentVariable("DEEPVISION_SHARED") is { Length: > 0 } shared ? Path.GetFullPath(shared)
        : Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    /// <summary>The full datasets: DEEPVISION_DATA when set, else ../shared/datasets.</summary>
    public static string SharedDatasets =>
        Environment.GetEnvironmentVariable("DEEPVISION_DATA") is { Length: > 0 } data ? data : Path.Combine(Shared, "datasets");

    public static string SharedFixtures => Path.Combine(Shared, "fixtures");

    /// <summary>Fails loudly (never skips) when the shared real data is missing.</summary>
    public static string RequireShared(params string[] parts)
    {
        var path = Path.Combine(new[] { Shared }.Concat(parts).ToArray());
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new InvalidOperationException(
                $"Test data is missing: {path}. The tests need the real data in ../shared next to the checkout " +
                "(see ../shared/README.md), or DEEPVISION_SHARED naming it; they do not run without it.");
        return path;
    }

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
