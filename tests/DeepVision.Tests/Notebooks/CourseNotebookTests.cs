using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DeepVision.Tests.Notebooks;

/// <summary>
/// The conventions every notebook of the course follows: a parameters cell with a quick profile, pinned package
/// versions equal to Directory.Packages.props, no nullable annotations the kernel would warn about, and a closing
/// summary with exercises. (Executing them is build.sh's step: dotnet-repl runs every notebook in the quick profile.)
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

    // Directory.Packages.props' version of every package, the helpers' own included, and the earlier helpers versions
    // that a notebook or app not yet re-recorded since a version raise may still pin.
    private static readonly Lazy<(Dictionary<string, string> Central, HashSet<string> EarlierHelpers)> CentralVersions = new(ReadCentralVersions);

    private static (Dictionary<string, string> Central, HashSet<string> EarlierHelpers) ReadCentralVersions()
    {
        var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props"));
        var central = props.Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
        central["DeepVision"] = props.Descendants("DeepVisionVersion").Single().Value; // the helpers package itself
        return (central, props.Descendants("DeepVisionEarlierVersion").Select(e => (string)e.Attribute("Include")!).ToHashSet());
    }

    // A pinned version (where says which line) is the central one, or for the helpers a listed earlier one.
    private static void AssertCentralVersion(string where, string package, string pinned)
    {
        var (central, earlier) = CentralVersions.Value;
        Assert.True(central.TryGetValue(package, out var version), $"{where}: {package} is not in Directory.Packages.props");
        Assert.True(version == pinned || package == "DeepVision" && earlier.Contains(pinned),
            $"{where}: {package} {pinned}, but Directory.Packages.props pins {version}" +
            (package == "DeepVision" ? $" (or an earlier version listed there: {string.Join(", ", earlier)})" : ""));
    }

    [Fact]
    public void Every_nuget_reference_in_the_notebooks_names_the_central_version()
    {
        var references = 0;
        foreach (var name in NotebookNames())
        {
            var notebook = Notebook.Load(PathOf(name));
            foreach (var cell in notebook.Cells.Where(c => c.IsCode))
                foreach (Match m in Regex.Matches(cell.Source, "#r\\s+\"nuget:\\s*([^,\"\\s]+)\\s*(?:,\\s*([^\"]*?))?\\s*\""))
                {
                    references++;
                    var package = m.Groups[1].Value;
                    Assert.True(m.Groups[2].Success && m.Groups[2].Value.Length > 0, $"{name} cell {cell.Number}: {package} has no pinned version");
                    AssertCentralVersion($"{name} cell {cell.Number}", package, m.Groups[2].Value);
                }
        }
        Assert.True(references > 0, "no #r \"nuget: …\" line was found in the notebooks");
    }

    [Fact]
    public void Every_package_line_of_the_file_based_apps_names_the_central_version()
    {
        // The apps (notebook 06's predict.cs, the tools, the test-data makers) pin their packages in #:package lines,
        // which build.sh honours as it honours the notebooks' #r lines (an earlier helpers version pinned by an app is
        // packed too): a version there must be the central one, or for the helpers a listed earlier one.
        var apps = new[] { "notebooks", "tools", Path.Combine("tests", "data") }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(RepoPaths.Root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .ToList();
        var lines = 0;
        foreach (var app in apps)
            foreach (Match m in Regex.Matches(File.ReadAllText(app), @"^#:package\s+([^@\s]+)(?:@(\S+))?\s*$", RegexOptions.Multiline))
            {
                lines++;
                var package = m.Groups[1].Value;
                var where = $"{Path.GetRelativePath(RepoPaths.Root, app)}: #:package {package}";
                if (m.Groups[2].Success) AssertCentralVersion(where, package, m.Groups[2].Value);
                else Assert.True(CentralVersions.Value.Central.ContainsKey(package), $"{where}: {package} is not in Directory.Packages.props");   // central package management gives the version
            }
        Assert.True(lines >= 3, $"only {lines} #:package lines were found in {apps.Count} apps: the search is looking in the wrong place");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_follows_the_course_conventions(string name)
    {
        var notebook = Notebook.Load(PathOf(name));
        Assert.Equal(".net-csharp", notebook.Root["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal(4, notebook.Root["nbformat_minor"]!.GetValue<int>());
        Assert.Equal("markdown", notebook.Cells[0].CellType);
        Assert.StartsWith("# ", notebook.Cells[0].Source);
        Assert.Single(notebook.Cells, c => c.IsCode && c.HasTag("parameters"));
        Assert.NotNull(notebook.Root["metadata"]!["deepvision"]?["profiles"]?["quick"]);
        // The first code cell (after the parameters, where those come first) references the runtime and the helpers package, nothing by path.
        var references = Regex.Matches(notebook.Cells.First(c => c.IsCode && !c.HasTag("parameters")).Source, "^#r .*$", RegexOptions.Multiline).Select(m => m.Value).ToList();
        Assert.Equal(["#r \"nuget: TorchSharp-cpu, ", "#r \"nuget: DeepVision, "], references.Select(r => r[..(r.IndexOf(',') + 2)]));
        Assert.DoesNotContain(notebook.Cells, c => c.IsCode && Regex.IsMatch(c.Source, "^#r \"(?!nuget:)", RegexOptions.Multiline));
        // Ends with a summary and exercises, then the solutions: one per exercise, in order, in a section of its own.
        var summary = notebook.Cells.Select((c, i) => (c, i)).LastOrDefault(p => p.c.CellType == "markdown" && p.c.Source.Contains("## Summary") && p.c.Source.Contains("## Exercises"), (null!, -1)).i;
        Assert.True(summary > 0, $"{name}: no markdown cell with '## Summary' and '## Exercises'");
        var exercises = Regex.Matches(notebook.Cells[summary].Source[notebook.Cells[summary].Source.IndexOf("## Exercises", StringComparison.Ordinal)..], @"^(\d+)\. ", RegexOptions.Multiline)
            .Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.True(exercises.Count >= 2, $"{name}: fewer than two numbered exercises");
        Assert.Equal(Enumerable.Range(1, exercises.Count), exercises);
        var rest = notebook.Cells.Skip(summary + 1).ToList();
        Assert.True(rest.Count > 0 && rest[0].CellType == "markdown" && rest[0].Source.StartsWith("## Solutions", StringComparison.Ordinal),
            $"{name}: the cell after the exercises must start the '## Solutions' section");
        var solved = rest.Where(c => c.CellType == "markdown").SelectMany(c => Regex.Matches(c.Source, @"\*\*Exercise (\d+)\.\*\*").Select(m => int.Parse(m.Groups[1].Value))).ToList();
        Assert.True(exercises.SequenceEqual(solved), $"{name}: exercises {string.Join(", ", exercises)}, solutions for {string.Join(", ", solved)}");
        Assert.DoesNotContain(rest, c => c.IsCode && c.Source.Contains("Result:", StringComparison.Ordinal));
        // Explains before it computes: no two code cells in a row without prose between them (setup excepted).
        for (var i = 3; i < notebook.Cells.Count; i++)
            Assert.False(notebook.Cells[i].IsCode && notebook.Cells[i - 1].IsCode && notebook.Cells[i - 2].IsCode,
                $"{name}: cells {i - 1}, {i} and {i + 1} are code without prose between them");
    }


    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_has_no_nullable_annotation_the_kernel_warns_about(string name)
    {
        // The kernel compiles with nullable annotations off: `string?` shows warning CS8632 in Jupyter's outputs.
        // Nullable value types (int?) are not annotations and stay.
        foreach (var cell in Notebook.Load(PathOf(name)).Cells.Where(c => c.IsCode))
        {
            var annotation = Regex.Match(cell.Source, @"\b(?:string|object|dynamic|[A-Z]\w*(?:<[^<>]*>)?)\?(?=\s+[A-Za-z_]\w*\s*[=;,)(])");
            Assert.False(annotation.Success, $"{name} cell {cell.Number}: '{annotation.Value}' is a nullable annotation, which the kernel warns about (CS8632)");
        }
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_ships_with_the_outputs_of_its_recorded_run(string name)
    {
        // Issue 17: every notebook carries its recorded run (./build.sh record), in its recording profile; that the
        // outputs are current and back the stated results is tools/notebooks.cs verify's check (NotebookToolTests).
        var root = JsonNode.Parse(File.ReadAllText(PathOf(name)))!;
        var deepvision = root["metadata"]?["deepvision"];
        var profile = deepvision?["recording"]?["profile"]?.GetValue<string>();
        // Every notebook records its own settings, the full profile (the reduced-scale `cpu` profile of 08 is gone).
        Assert.True(profile is "full", $"{name}: metadata.deepvision.recording.profile must say \"full\", not {profile ?? "nothing"}");
        var recorded = deepvision?["recorded"];
        Assert.True(recorded is not null, $"{name} has no recorded run: run ./build.sh record notebooks/{name} and commit the notebook");
        Assert.Equal(profile, recorded!["profile"]?.GetValue<string>());
        var withOutputs = root["cells"]!.AsArray().Count(c => c!["cell_type"]!.GetValue<string>() == "code" && c["outputs"]!.AsArray().Count > 0);
        Assert.True(withOutputs > 0, $"{name} is marked recorded but no code cell has an output");
    }
}
