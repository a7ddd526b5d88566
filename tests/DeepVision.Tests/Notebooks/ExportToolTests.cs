using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace DeepVision.Tests.Notebooks;

/// <summary>tools/export.cs: a notebook as a .NET 10 file-based app, what only the kernel allows rewritten or refused.</summary>
[Collection(NotebookToolCollection.Name)]
public class ExportToolTests
{
    private static string HelpersVersion() =>
        XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props")).Descendants("DeepVisionVersion").Single().Value;

    private static JsonObject Code(string source, params string[] tags) => new()
    {
        ["cell_type"] = "code", ["execution_count"] = null, ["outputs"] = new JsonArray(),
        ["metadata"] = new JsonObject { ["tags"] = new JsonArray([.. tags.Select(t => JsonValue.Create(t))]) },
        ["source"] = source,
    };

    private static string WriteNotebook(string folder, string name, params JsonObject[] cells)
    {
        var notebook = new JsonObject
        {
            ["nbformat"] = 4, ["nbformat_minor"] = 4,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["name"] = ".net-csharp", ["display_name"] = ".NET (C#)", ["language"] = "C#" },
                ["deepvision"] = new JsonObject { ["profiles"] = new JsonObject { ["quick"] = new JsonObject { ["count"] = 3 } } },
            },
            ["cells"] = new JsonArray([new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = "# Export check" }, .. cells]),
        };
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, notebook.ToJsonString());
        return path;
    }

    [Fact]
    public void A_notebook_with_kernel_only_code_runs_as_an_app_and_shows_its_outputs_in_cell_order()
    {
        using var temp = new TempFolder();
        var notebook = WriteNotebook(temp.Path, "export-check.ipynb",
            Code("var count = 10;", "parameters"),
            Code($"#r \"nuget: DeepVision, {HelpersVersion()}\"\nusing DeepVision.Plots;\nConsole.WriteLine($\"count {{count}}\");"),
            // A loop's variable named like a later cell's top-level one, a class used before the cell that declares it.
            Code("var totals = new List<int>();\nforeach (var i in Enumerable.Range(0, count)) { var total = new Counter().Add(i); totals.Add(total); }\nConsole.WriteLine($\"sum {totals.Sum()}\");"),
            Code("var total = totals.Count;\nvar shown = display(\"first\");\nshown.Update(\"replaced\");\n$\"total {total}\""),
            Code("class Counter { public int Add(int i) => i * 2; }"));
        var output = Path.Combine(temp.Path, "apps");
        var (code, stdout, stderr) = DotnetTool.Run("export.cs", null, "run", "--profile", "quick", "--out", output, notebook);
        Assert.True(code == 0, $"export-check failed:\n{stdout}\n{stderr}");
        Assert.Contains("apps: 1 passed, 0 failed", stdout);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "summary.json")))!;
        Assert.Equal(1, summary["passed"]!.GetValue<int>());
        var page = File.ReadAllText(Path.Combine(output, "export-check", "index.html"));
        // The profile's value (3, not 10), 2·(0+1+2) = 6, the display replaced in place, the cell's last expression shown.
        var order = new[] { "count 3", "sum 6", "replaced", "total 3" }.Select(t => page.IndexOf(t, StringComparison.Ordinal)).ToList();
        Assert.All(order, i => Assert.True(i >= 0, page));
        Assert.Equal(order.Order(), order);
        Assert.DoesNotContain(">first<", page);
    }

    [Fact]
    public void What_a_program_cannot_hold_is_refused_naming_the_notebook_and_the_cell()
    {
        using var temp = new TempFolder();
        var notebook = WriteNotebook(temp.Path, "magic.ipynb", Code("var count = 1;", "parameters"), Code("#!time\nConsole.WriteLine(count);"));
        var (code, _, stderr) = DotnetTool.Run("export.cs", null, "export", "--out", Path.Combine(temp.Path, "apps"), notebook);
        Assert.Equal(2, code);
        Assert.Contains("magic.ipynb, cell 4", stderr);   // the title, the parameters, the injected values, then this one
        Assert.Contains("#!time", stderr);
        var local = WriteNotebook(temp.Path, "path.ipynb", Code("var count = 1;", "parameters"), Code("#r \"../bin/Some.dll\""));
        (code, _, stderr) = DotnetTool.Run("export.cs", null, "export", "--out", Path.Combine(temp.Path, "apps"), local);
        Assert.Equal(2, code);
        Assert.Contains("path.ipynb, cell 4", stderr);
        Assert.Contains("pinned NuGet package", stderr);
    }
}
