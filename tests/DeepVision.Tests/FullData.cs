using DeepVision.Data;

namespace DeepVision.Tests;

/// <summary>
/// The official full datasets, which are too large for the repository. A test finds them where the helpers look
/// ($DEEPVISION_DATA, then the user's cache that <c>./build.sh data</c> fills) and, in this project's CI, in the shared
/// real data beside the checkout ($DEEPVISION_SHARED/datasets or ../shared/datasets).
/// </summary>
internal static class FullData
{
    private static readonly Dictionary<string, DatasetSource> Sources = new()
    {
        ["mnist"] = DatasetCatalog.Mnist,
        ["fashion-mnist"] = DatasetCatalog.FashionMnist,
        ["cifar-10"] = DatasetCatalog.Cifar10,
    };

    /// <summary>The places looked in, in order.</summary>
    public static IEnumerable<string> SearchPath()
    {
        if (Environment.GetEnvironmentVariable("DEEPVISION_DATA") is { Length: > 0 } data) yield return data;
        yield return DataLocation.CacheFolder;
        if (Environment.GetEnvironmentVariable("DEEPVISION_SHARED") is { Length: > 0 } shared) yield return Path.Combine(shared, "datasets");
        yield return Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "datasets"));
    }

    /// <summary>The folder holding every file of <paramref name="dataset"/>, or null when none does.</summary>
    public static string? Find(string dataset)
    {
        var source = Sources.TryGetValue(dataset, out var s) ? s : throw new ArgumentException($"unknown dataset {dataset}", nameof(dataset));
        return SearchPath().Select(root => Path.Combine(root, source.Folder))
            .FirstOrDefault(source.IsCompleteIn);
    }

    /// <summary>The dataset's folder; only called from a <see cref="FullDataFactAttribute"/> test, which is skipped when it is absent.</summary>
    public static string Folder(string dataset) =>
        Find(dataset) ?? throw new InvalidOperationException($"{dataset} is not present: the test should have been skipped ({MissingReason([dataset])}).");

    public static string MissingReason(IEnumerable<string> datasets) =>
        $"needs the full {string.Join(" and ", datasets)} dataset files, not found in {string.Join(", ", SearchPath())}; " +
        "run ./build.sh data to download them";
}

/// <summary>
/// A test on the official full datasets: it runs when all of them are present and is reported as skipped, with the
/// reason and the command that fetches them, when one is not. <c>./build.sh test</c> fails on any skip when the
/// shared real data is beside the checkout (this project's CI), so CI always runs these.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FullDataFactAttribute : FactAttribute
{
    public FullDataFactAttribute(params string[] datasets)
    {
        var missing = datasets.Where(d => FullData.Find(d) is null).ToList();
        if (missing.Count > 0) Skip = FullData.MissingReason(missing);
    }
}
