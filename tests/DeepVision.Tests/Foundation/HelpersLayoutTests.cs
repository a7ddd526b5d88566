using System.Text.RegularExpressions;

namespace DeepVision.Tests.Foundation;

/// <summary>The helpers' design at a glance: namespaces that never depend back on each other, one folder per concern.</summary>
public class HelpersLayoutTests
{
    private static readonly string Helpers = Path.Combine(RepoPaths.Root, "helpers", "DeepVision");

    /// <summary>Namespace → the DeepVision namespaces its source files name (usings and qualified names).</summary>
    private static Dictionary<string, HashSet<string>> Dependencies()
    {
        var graph = new Dictionary<string, HashSet<string>>();
        foreach (var file in Directory.EnumerateFiles(Helpers, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")))
        {
            var text = File.ReadAllText(file);
            var ns = Regex.Match(text, @"^namespace\s+([\w.]+);", RegexOptions.Multiline).Groups[1].Value;
            Assert.False(string.IsNullOrEmpty(ns), $"{file} has no file-scoped namespace");
            var used = graph.TryGetValue(ns, out var set) ? set : graph[ns] = [];
            // Comments and strings name namespaces without depending on them.
            var code = Regex.Replace(text, @"//.*$|""(?:\\.|[^""\\])*""", "", RegexOptions.Multiline);
            // Inside DeepVision.X, a sibling is named "Plots.LineChart" as well as "DeepVision.Plots.LineChart".
            foreach (Match m in Regex.Matches(code, @"(?:\bDeepVision\.|(?<![\w.]))(Data|Devices|Interpretation|Models|Plots|Storage|Training|Weights)\.[A-Z]|\busing\s+DeepVision\.(Data|Devices|Interpretation|Models|Plots|Storage|Training|Weights)\s*;"))
            {
                var name = $"DeepVision.{(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)}";
                if (name != ns) used.Add(name);
            }
        }
        return graph;
    }

    [Fact]
    public void No_namespace_depends_on_one_that_depends_back_on_it()
    {
        var graph = Dependencies();
        Assert.Empty(graph["DeepVision"]); // the root is below everything: every namespace sees it without a using
        foreach (var start in graph.Keys)
        {
            // Depth-first search for a path back to start.
            var stack = new Stack<(string Node, List<string> Path)>();
            stack.Push((start, [start]));
            var seen = new HashSet<string>();
            while (stack.Count > 0)
            {
                var (node, path) = stack.Pop();
                foreach (var next in graph.GetValueOrDefault(node, []))
                {
                    Assert.False(next == start, $"namespace cycle: {string.Join(" → ", path.Append(next))}");
                    if (seen.Add(next)) stack.Push((next, [.. path, next]));
                }
            }
        }
    }

    [Fact]
    public void Rendering_lives_in_plots_and_training_does_not_depend_on_models()
    {
        var graph = Dependencies();
        Assert.DoesNotContain("DeepVision.Plots", graph.Where(e => e.Key != "DeepVision.Plots").SelectMany(e => e.Value));
        Assert.DoesNotContain("DeepVision.Models", graph["DeepVision.Training"]);
        Assert.DoesNotContain("DeepVision.Training", graph["DeepVision.Models"]);
        // No HTML and no formatter is written outside Plots, but for the live display's wrapper (the id that lets a
        // recording keep a display's last state).
        foreach (var file in Directory.EnumerateFiles(Helpers, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")))
        {
            var relative = Path.GetRelativePath(Helpers, file);
            if (relative.StartsWith("Plots" + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
            var text = File.ReadAllText(file);
            Assert.False(Regex.IsMatch(text, "TypeFormatterSource|Formatter\\.Register"), $"{relative} registers a formatter: rendering belongs in Plots");
            if (relative == "LiveDisplay.cs") continue;
            Assert.False(Regex.IsMatch(text, "<(div|table|tr|td|img|progress|span|b|p)[ >/]"), $"{relative} writes HTML: rendering belongs in Plots");
        }
    }

    [Fact]
    public void Data_is_split_by_concern()
    {
        string[] Files(string folder) => Directory.GetFiles(Path.Combine(Helpers, "Data", folder), "*.cs").Select(Path.GetFileName).Order().ToArray()!;
        Assert.Equal(["Cifar10.cs", "Idx.cs", "ImageFolder.cs", "Imagenette.cs"], Files("Formats"));
        Assert.Equal(["DataFiles.cs", "DataLocation.cs", "DatasetCatalog.cs", "Downloader.cs"], Files("Sources"));
        Assert.Equal(["ImageCodec.cs"], Files("Images"));
    }
}
