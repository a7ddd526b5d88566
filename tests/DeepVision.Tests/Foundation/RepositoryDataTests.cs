namespace DeepVision.Tests.Foundation;

/// <summary>The data the repository carries: small enough to clone quickly, and documented.</summary>
public class RepositoryDataTests
{
    private static long SizeOf(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    [Fact]
    public void Datasets_and_test_data_stay_under_25_MB_together()
    {
        var datasets = SizeOf(Path.Combine(RepoPaths.Root, "datasets"));
        var testData = SizeOf(RepoPaths.TestData());
        Assert.True(datasets + testData < 25_000_000,
            $"datasets/ ({datasets / 1e6:F1} MB) and tests/data/ ({testData / 1e6:F1} MB) exceed 25 MB together");
    }

    [Fact]
    public void The_notebooks_with_their_recorded_outputs_stay_under_15_MB()
    {
        // The recorded outputs (PNG charts and images inside the notebooks) are the repository's largest growth.
        var notebooks = Directory.GetFiles(Path.Combine(RepoPaths.Root, "notebooks"), "*.ipynb").Sum(f => new FileInfo(f).Length);
        Assert.True(notebooks < 15_000_000, $"the notebooks take {notebooks / 1e6:F1} MB: shrink their pictures or outputs");
    }

    [Fact]
    public void Every_test_data_folder_is_described_in_its_readme()
    {
        var readme = File.ReadAllText(RepoPaths.TestData("README.md"));
        foreach (var folder in Directory.GetDirectories(RepoPaths.TestData()).Select(Path.GetFileName))
            Assert.Contains($"`{folder}/`", readme);
    }
}
