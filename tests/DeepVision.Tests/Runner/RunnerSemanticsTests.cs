using System.Text.Json.Nodes;
using DeepVision.Runner.Execution;

namespace DeepVision.Tests.Runner;

/// <summary>The C# kernel's semantics: chained state, default usings, directives, the display API.</summary>
[Collection(RunnerCollection.Name)]
public class RunnerSemanticsTests(RunnerFixture runner)
{
    [Fact]
    public void Cells_share_state_and_the_kernels_default_usings()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook()
            .Markdown("# Title")
            .Code("var numbers = new List<int> { 3, 1, 2 };\nclass Box { public int Value; }")
            .Code("var sb = new StringBuilder();\nsb.Append(numbers.OrderBy(n => n).First());\nvar box = new Box { Value = numbers.Sum() };\nConsole.WriteLine($\"{sb} {box.Value}\");")
            .SaveIn(temp.Path);
        var result = runner.Run(path);
        Assert.True(result.Succeeded, result.FirstFailure?.Error);
        Assert.Equal(CellStatus.Markdown, result.Cells[0].Status);
        Assert.Equal("1 6\n", result.Stdout(3));
        Assert.Equal([1, 2], result.Cells.Where(c => c.ExecutionCount is not null).Select(c => c.ExecutionCount!.Value));
    }

    [Fact]
    public void Trailing_expression_is_displayed_and_a_statement_is_not()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("\"plain text\"").Code("var x = 41;\nx + 1").Code("var y = 1;").SaveIn(temp.Path);
        var result = runner.Run(path);
        Assert.Equal("plain text", result.Displays(1).Single().Text("text/plain"));
        Assert.Contains("<pre>42</pre>", result.Displays(2).Single().Text("text/html"));
        Assert.Empty(result.Displays(3));
    }

    [Fact]
    public void Display_api_has_the_kernels_names_and_shapes()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook()
            .Code("display(\"one\");\ndisplay(new { A = 1 }, \"text/plain\");\ndisplay(HTML(\"<b>bold</b>\"));")
            .Code("\"**md**\".DisplayAs(\"text/markdown\");\n12.Display(\"text/plain\");")
            .Code("var handle = display(\"step 1\");\nhandle.Update(\"step 2\");\nhandle.Update(\"done\");")
            .SaveIn(temp.Path);
        var result = runner.Run(path);
        Assert.True(result.Succeeded, result.FirstFailure?.Error);
        var first = result.Displays(1);
        Assert.Equal("one", first[0].Text("text/plain"));
        Assert.Contains("A", first[1].Text("text/plain"));
        Assert.Equal("<b>bold</b>", first[2].Text("text/html"));
        var second = result.Displays(2);
        Assert.Equal("**md**", second[0].Text("text/markdown"));
        Assert.Equal("12", second[1].Text("text/plain"));
        // Update replaces the output in place: the saved notebook holds the final state only.
        Assert.Equal("done", result.Displays(3).Single().Text("text/plain"));
    }

    [Fact]
    public void Formatters_registered_by_a_notebook_apply()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook()
            .Code("#r \"nuget: Microsoft.DotNet.Interactive.Formatting, 1.0.0-beta.23562.1\"\nusing Microsoft.DotNet.Interactive.Formatting;\n" +
                  "record Point(int X, int Y);\nFormatter.Register<Point>(p => $\"<i>({p.X}, {p.Y})</i>\", \"text/html\");")
            .Code("new Point(3, 4)")
            .SaveIn(temp.Path);
        var result = runner.Run(path);
        Assert.True(result.Succeeded, result.FirstFailure?.Error);
        Assert.Equal("<i>(3, 4)</i>", result.Displays(2).Single().Text("text/html"));
    }

    [Fact]
    public void Stdout_and_stderr_become_streams_in_order()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("Console.WriteLine(\"a\");\nConsole.Write(\"b\");\nConsole.Error.WriteLine(\"warn\");\ndisplay(\"c\");\nConsole.WriteLine(\"d\");").SaveIn(temp.Path);
        var result = runner.Run(path);
        var outputs = result.Outputs(1).ToList();
        Assert.Equal(["stream:stdout", "stream:stderr", "display_data:", "stream:stdout"],
            outputs.Select(o => $"{o["output_type"]}:{o["name"]}"));
        Assert.Equal(new JsonArray("a\n", "b"), outputs[0]["text"], JsonNode.DeepEquals);
    }

    [Fact]
    public void Time_magic_prints_the_wall_time()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("#!time\nSystem.Threading.Thread.Sleep(50);").SaveIn(temp.Path);
        var result = runner.Run(path);
        var text = result.Displays(1).Single().Text("text/plain");
        Assert.Matches(@"^Wall time: \d+ms$", text);
        Assert.True(int.Parse(text["Wall time: ".Length..^2]) >= 50);
    }

    [Fact]
    public void Path_references_resolve_relative_to_the_notebook()
    {
        using var temp = new TempFolder();
        var lib = Path.Combine(temp.Path, "lib");
        Directory.CreateDirectory(lib);
        File.Copy(typeof(DeepVision.Conv).Assembly.Location, Path.Combine(lib, "DeepVision.dll"));
        var path = new TestNotebook().Code("#r \"lib/DeepVision.dll\"\nDeepVision.Conv.OutputSize(224, 9, stride: 2, padding: 4)").SaveIn(Path.Combine(temp.Path, "nb"));
        // The notebook sits one folder down: the reference is resolved from its own folder.
        File.Move(Path.Combine(temp.Path, "nb", "test.ipynb"), Path.Combine(temp.Path, "test.ipynb"));
        var result = runner.Run(Path.Combine(temp.Path, "test.ipynb"));
        Assert.True(result.Succeeded, result.FirstFailure?.Error);
        Assert.Contains("112", result.Displays(1).Single().Text("text/html"));
    }

    [Fact]
    public void Import_runs_another_notebook_and_a_script()
    {
        using var temp = new TempFolder();
        new TestNotebook().Code("var shared = 20;").Code("int Twice(int v) => 2 * v;").SaveIn(temp.Path, "shared.ipynb");
        File.WriteAllText(Path.Combine(temp.Path, "extra.csx"), "var extra = 2;");
        var path = new TestNotebook().Code("#!import shared.ipynb\n#!import extra.csx\nConsole.WriteLine(Twice(shared) + extra);").SaveIn(temp.Path);
        var result = runner.Run(path);
        Assert.True(result.Succeeded, result.FirstFailure?.Error);
        Assert.Equal("42\n", result.Stdout(1));
    }

    [Fact]
    public void A_cell_for_another_kernel_fails_clearly_and_unknown_magics_fail_the_cell()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("let x = 1", kernel: "fsharp").Code("#!whatever\n1").SaveIn(temp.Path);
        var result = runner.Run(path, new NotebookRunOptions { KeepGoing = true });
        Assert.Contains("'fsharp' kernel", (string)result.Error(1)["evalue"]!);
        Assert.Equal("Unknown magic command '#!whatever'", (string)result.Error(2)["evalue"]!);
    }

    [Fact]
    public void Restore_is_real_and_cached_and_a_second_version_is_refused()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook()
            .Code("#r \"nuget: Microsoft.Data.Analysis, 0.23.1\"\nusing Microsoft.Data.Analysis;\nvar column = new PrimitiveDataFrameColumn<int>(\"n\", new[] { 1, 2, 3 });\ncolumn.Sum()")
            .Code("#r \"nuget: Microsoft.Data.Analysis, 0.23.1\"\n#r \"nuget: Microsoft.Data.Analysis, *\"\n1")
            .Code("#r \"nuget: Microsoft.Data.Analysis, 0.22.0\"")
            .SaveIn(temp.Path);
        var result = runner.Run(path, new NotebookRunOptions { KeepGoing = true });
        Assert.Equal(CellStatus.Succeeded, result.Cells[0].Status);
        Assert.Contains("Installed Packages", result.Displays(1)[0].Text("text/html"));
        Assert.Contains("<pre>6</pre>", result.Displays(1)[1].Text("text/html"));
        Assert.Equal(CellStatus.Succeeded, result.Cells[1].Status);
        Assert.Equal("Microsoft.Data.Analysis version 0.22.0 cannot be added because version 0.23.1 was added previously.",
            (string)result.Error(3)["evalue"]!);

        // Same package set again: read from the cache, no second dotnet restore.
        var cache = runner.PackageCache;
        var stamps = Directory.GetFiles(Path.Combine(cache, "restore"), "restore.complete", SearchOption.AllDirectories).Select(File.GetLastWriteTimeUtc).ToList();
        runner.Run(path, new NotebookRunOptions { KeepGoing = true });
        Assert.Equal(stamps, Directory.GetFiles(Path.Combine(cache, "restore"), "restore.complete", SearchOption.AllDirectories).Select(File.GetLastWriteTimeUtc).ToList());
    }

    [Fact]
    public void Torchsharp_cpu_works_with_its_tensor_formatter()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook()
            .Code("#r \"nuget: TorchSharp-cpu, 0.107.0\"\nusing TorchSharp;\nusing static TorchSharp.torch;")
            .Code("var x = ones(2, 3).requires_grad_();\nvar y = (x * 3).sum();\ny.backward();\nx.grad")
            .SaveIn(temp.Path);
        var result = runner.Run(path);
        Assert.True(result.Succeeded, result.FirstFailure?.Error);
        var html = result.Displays(2).Single().Text("text/html");
        Assert.StartsWith("<div><pre>[2x3], type = Float32, device = cpu", html);
        Assert.Contains(" 3 3 3", html);
    }

    [Fact]
    public void A_package_source_added_with_hash_i_is_used_for_the_restore()
    {
        using var temp = new TempFolder();
        // A local feed holding one package that exists nowhere else; the notebook's nuget.config names no source
        // at all, so the restore can succeed only through the #i source.
        var feed = Path.Combine(temp.Path, "feed");
        Directory.CreateDirectory(feed);
        var id = $"DeepVision.LocalFeed.T{Guid.NewGuid():N}";
        using (var zip = System.IO.Compression.ZipFile.Open(Path.Combine(feed, $"{id}.1.0.0.nupkg"), System.IO.Compression.ZipArchiveMode.Create))
        using (var writer = new StreamWriter(zip.CreateEntry($"{id}.nuspec").Open()))
            writer.Write($"<?xml version=\"1.0\"?><package xmlns=\"http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd\"><metadata><id>{id}</id><version>1.0.0</version><authors>tests</authors><description>local feed test</description></metadata></package>");
        var path = new TestNotebook().Code($"#i \"nuget: {feed}\"\n#r \"nuget: {id}, 1.0.0\"\nConsole.WriteLine(\"restored\");").SaveIn(temp.Path);
        File.WriteAllText(Path.Combine(temp.Path, "nuget.config"), """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /></packageSources></configuration>
            """);
        var result = runner.Run(path);
        Assert.True(result.Succeeded, result.FirstFailure?.Error);
        Assert.Contains($"{id}, 1.0.0", result.Displays(1)[0].Text("text/html"));
    }

    [Fact]
    public void The_working_directory_defaults_to_the_notebook_folder_and_can_be_set()
    {
        using var temp = new TempFolder();
        var other = Directory.CreateDirectory(Path.Combine(temp.Path, "elsewhere")).FullName;
        File.WriteAllText(Path.Combine(temp.Path, "data.txt"), "next to the notebook");
        var path = new TestNotebook().Code("Console.WriteLine(Environment.CurrentDirectory);\nConsole.WriteLine(System.IO.File.Exists(\"data.txt\"));").SaveIn(temp.Path);
        var byDefault = runner.Run(path);
        Assert.Equal($"{Path.GetFullPath(temp.Path)}\nTrue\n", byDefault.Stdout(1));
        var elsewhere = runner.Run(path, new NotebookRunOptions { WorkingDirectory = other });
        Assert.Equal($"{other}\nFalse\n", elsewhere.Stdout(1));
    }
}
