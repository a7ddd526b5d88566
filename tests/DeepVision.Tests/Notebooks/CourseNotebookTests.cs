using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DeepVision.Runner;
using DeepVision.Runner.Notebooks;

namespace DeepVision.Tests.Notebooks;

/// <summary>
/// Every notebook of the course, executed headlessly in its quick profile (as CI does), plus the conventions each
/// one follows: a parameters cell with a quick profile, pinned package versions equal to Directory.Packages.props,
/// and a closing summary with exercises.
/// </summary>
public class CourseNotebookTests
{
    private static List<string> NotebookNames() =>
        Directory.GetFiles(Path.Combine(RepoPaths.Root, "notebooks"), "*.ipynb").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    public static TheoryData<string> Notebooks() => new(NotebookNames());

    private static string PathOf(string name) => Path.Combine(RepoPaths.Root, "notebooks", name);

    [Fact]
    public void The_course_has_notebooks()
    {
        Assert.NotEmpty(NotebookNames());
    }

    [Fact]
    public void Every_nuget_reference_in_the_notebooks_names_the_central_version()
    {
        var central = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
        var references = 0;
        foreach (var name in NotebookNames())
        {
            var notebook = NotebookDocument.Load(PathOf(name));
            foreach (var cell in notebook.Cells.Where(c => c.IsCode))
                foreach (Match m in Regex.Matches(cell.Source, "#r\\s+\"nuget:\\s*([^,\"\\s]+)\\s*(?:,\\s*([^\"]*?))?\\s*\""))
                {
                    references++;
                    var package = m.Groups[1].Value;
                    Assert.True(central.TryGetValue(package, out var version), $"{name} cell {cell.Number}: {package} is not in Directory.Packages.props");
                    Assert.True(m.Groups[2].Success && m.Groups[2].Value.Length > 0, $"{name} cell {cell.Number}: {package} has no pinned version");
                    Assert.True(version == m.Groups[2].Value, $"{name} cell {cell.Number}: {package} {m.Groups[2].Value}, but Directory.Packages.props pins {version}");
                }
        }
        Assert.True(references > 0, "no #r \"nuget: …\" line was found in the notebooks");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_follows_the_course_conventions(string name)
    {
        var notebook = NotebookDocument.Load(PathOf(name));
        Assert.Equal(".net-csharp", notebook.Root["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal(4, notebook.Root["nbformat_minor"]!.GetValue<int>());
        Assert.Equal("markdown", notebook.Cells[0].CellType);
        Assert.StartsWith("# ", notebook.Cells[0].Source);
        Assert.Single(notebook.Cells, c => c.IsCode && c.HasTag("parameters"));
        Assert.NotNull(notebook.Root["metadata"]!["deepvision"]?["profiles"]?["quick"]);
        var last = notebook.Cells[^1];
        Assert.Equal("markdown", last.CellType);
        Assert.Contains("## Summary", last.Source);
        Assert.Contains("## Exercises", last.Source);
        // Explains before it computes: no two code cells in a row without prose between them (setup excepted).
        for (var i = 3; i < notebook.Cells.Count; i++)
            Assert.False(notebook.Cells[i].IsCode && notebook.Cells[i - 1].IsCode && notebook.Cells[i - 2].IsCode,
                $"{name}: cells {i - 1}, {i} and {i + 1} are code without prose between them");
        Assert.All(notebook.Cells.Where(c => c.IsCode), c => Assert.Empty(c.Json["outputs"]!.AsArray()));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_runs_in_the_quick_profile(string name)
    {
        var output = Path.Combine(RepoPaths.Root, "artifacts", "notebooks", name);
        var before = File.ReadAllBytes(PathOf(name));
        var start = new ProcessStartInfo(DeepVision.Runner.Packages.PackageRestorer.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { typeof(RunnerCommand).Assembly.Location, "--run", PathOf(name), "--profile", "quick", "--output-path", output, "--cell-timeout", "300" })
            start.ArgumentList.Add(arg);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10)))
        {
            try { await process.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{name} did not finish in 10 minutes");
            }
        }
        var log = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{name} failed (exit {process.ExitCode}):\n{log[Math.Max(0, log.Length - 6000)..]}");
        Assert.Equal(before, File.ReadAllBytes(PathOf(name)));

        var executed = JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        var codeCells = executed["cells"]!.AsArray().Where(c => (string)c!["cell_type"]! == "code").ToList();
        Assert.All(codeCells, c => Assert.NotNull(c!["execution_count"]));
        Assert.DoesNotContain(codeCells.SelectMany(c => c!["outputs"]!.AsArray()), o => (string?)o!["output_type"] == "error");
        // The quick profile is meant to run in under a minute on a 2-core machine; this bound catches a profile
        // that silently runs the full settings.
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(3), $"{name} took {watch.Elapsed.TotalSeconds:F0} s in the quick profile");
    }
}
