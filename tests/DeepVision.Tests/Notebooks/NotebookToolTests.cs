using System.Diagnostics;
using System.Text.Json.Nodes;
using DeepVision.NotebookTool;
using NJsonSchema;

namespace DeepVision.Tests.Notebooks;

/// <summary>
/// tools/notebooks.cs, the step around dotnet-repl that executes the course: profiles injected as a cell, the source
/// never written, executed copies with the source's metadata, one output per live display, a per-notebook timeout,
/// and the check of what learners see. The executions run the real kernel (dotnet-repl, from the tool manifest).
/// </summary>
[Collection(NotebookToolCollection.Name)]
public class NotebookToolTests
{
    private static readonly Lazy<JsonSchema> Schema = new(LoadSchema);

    private static (int ExitCode, string Output) Tool(params string[] args)
    {
        var (code, output, errors) = DotnetTool.Run("notebooks.cs", null, args);
        return (code, output + errors);
    }

    /// <summary>A cell with the metadata Polyglot Notebooks writes: code cells name their kernel (dotnet-repl restores
    /// `#r "nuget: …"` only in cells that do).</summary>
    private static JsonObject Cell(string type, string source, JsonArray? outputs = null, params string[] tags)
    {
        var metadata = type == "code"
            ? new JsonObject { ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" }, ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" } }
            : new JsonObject();
        if (tags.Length > 0) metadata["tags"] = new JsonArray(tags.Select(t => (JsonNode?)t).ToArray());
        return NewCell(type, source, outputs, metadata);
    }

    private static JsonObject NewCell(string type, string source, JsonArray? outputs, JsonObject metadata) => new()
    {
        ["cell_type"] = type,
        ["metadata"] = metadata,
        ["source"] = source,
        ["execution_count"] = null,
        ["outputs"] = type == "code" ? outputs ?? [] : null,
    };

    private static string Write(TempFolder folder, string name, JsonObject[] cells, JsonObject? profiles = null)
    {
        foreach (var c in cells.Where(c => (string?)c["cell_type"] == "markdown"))
        {
            c.Remove("outputs");
            c.Remove("execution_count");
        }
        var notebook = new JsonObject
        {
            ["cells"] = new JsonArray(cells.Select(c => (JsonNode?)c).ToArray()),
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["deepvision"] = new JsonObject { ["profiles"] = profiles ?? new JsonObject(), ["kept"] = "yes" },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 4,
        };
        var path = Path.Combine(folder.Path, name);
        File.WriteAllText(path, notebook.ToJsonString());
        return path;
    }

    /// <summary>A title, a one-line parameters cell, a quick profile with no values, and optionally one more code cell.</summary>
    private static string WriteMinimal(TempFolder folder, string name, string title, string? code = null) =>
        Write(folder, name,
            [Cell("markdown", title), Cell("code", "var ok = 1;", null, "parameters"), .. code is null ? Array.Empty<JsonObject>() : [Cell("code", code)]],
            new JsonObject { ["quick"] = new JsonObject() });

    private static JsonObject Output(string mime, string text, string kind = "display_data") =>
        new() { ["output_type"] = kind, ["data"] = new JsonObject { [mime] = text }, ["metadata"] = new JsonObject() };

    public static TheoryData<string, string, JsonObject?> Defects() => new()
    {
        { "Console.WriteLine(x);", "error output: CompilationError", new JsonObject { ["output_type"] = "error", ["ename"] = "CompilationError", ["evalue"] = "(1,19): error CS0103", ["traceback"] = new JsonArray() } },
        { "display(x);", "shows <null>", Output("text/plain", "<null>") },
        { "display(x);", "shows <null>", Output("text/html", "<div class=\"dni-plaintext\"><pre>&lt;null&gt;</pre></div>") },
        { "display(chart);", "type name: DeepVision.Plots.LineChart", Output("text/plain", "DeepVision.Plots.LineChart") },
        { "live.Update(chart);", "type name: LineChart \"MLP\" (2 series)", Output("text/plain", "LineChart \"MLP\" (2 series)") },
        { "string? s = null;", "compiler diagnostic", new JsonObject { ["output_type"] = "stream", ["name"] = "stderr", ["text"] = "(1,7): warning CS8632: The annotation for nullable reference types should only be used in code within a '#nullable' annotations context." } },
        { "LineChart.Accuracy(history, \"x\")", "draws a chart but shows none", Output("text/plain", "done") },
        { "new ImageGrid(images)", "draws a chart but shows none", null },
    };

    [Theory]
    [MemberData(nameof(Defects))]
    public void Check_fails_on_what_a_learner_should_not_see(string source, string expected, JsonObject? output)
    {
        using var folder = new TempFolder();
        var path = Write(folder, "defect.ipynb", [Cell("markdown", "# Defect"), Cell("code", source, output is null ? [] : [output])]);
        var (code, log) = Tool("check", path);
        Assert.True(code == 2, log);
        Assert.Contains("cell 2: ", log);
        Assert.Contains(expected, log);
    }

    [Fact]
    public void Check_passes_a_notebook_with_charts_text_and_tables()
    {
        using var folder = new TempFolder();
        var path = Write(folder, "clean.ipynb",
        [
            Cell("markdown", "# Clean"),
            Cell("code", "LineChart.Accuracy(history, \"x\")", [Output("text/html", "<div><img src=\"data:image/png;base64,AA==\"/></div>")]),
            Cell("code", "Console.WriteLine(\"Result: 97.5%\");", [new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "Result: 97.5%\n" }]),
            Cell("code", "ModelSummary.Of(model, [1, 3, 32, 32])", [Output("text/html", "<table><tr><td>conv1</td></tr></table>")]),
        ]);
        var (code, log) = Tool("check", path);
        Assert.True(code == 0, log);
    }

    [Fact]
    public void Check_names_a_file_that_is_not_a_notebook()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "broken.ipynb");
        File.WriteAllText(path, "{ \"cells\": [");
        var (code, log) = Tool("check", path);
        Assert.Equal(2, code);
        Assert.Contains("broken.ipynb: not valid JSON", log);
    }

    [Fact]
    public void Run_injects_the_profile_after_the_parameters_cell_and_never_writes_the_source()
    {
        using var folder = new TempFolder();
        var source = Write(folder, "dv-tool-profile.ipynb",
        [
            Cell("markdown", "# Profiles"),
            Cell("code", "var epochs = 5;\nvar rate = 0.1;\nstring label = \"full\";\nvar fast = false;", null, "parameters"),
            Cell("markdown", "Prints the settings."),
            Cell("code", "Console.WriteLine($\"Result: {label} {epochs} {rate} {fast}\");"),
            Cell("code", "var live = DeepVision.LiveDisplay.Show(\"starting\");\nfor (var i = 0; i < 5; i++) live.Update($\"step {i}\");\nlive.Finish(\"all 5 steps done\");"),
            // In the kernel, where TorchSharp's libraries come from the package folder: the oneDNN check and its switch
            // (a call into libtorch by its exported name) work there as in this test process.
            Cell("code", "var setup = DeepVision.Devices.DeviceSetup.Setup(quiet: true);\nConsole.WriteLine($\"convolutions right: {DeepVision.Devices.OneDnnConvolutions.Right}, oneDNN switched off: {DeepVision.Devices.OneDnnConvolutions.SwitchedOff}, oneDNN on: {DeepVision.Devices.OneDnnConvolutions.Enabled}, limited to SSE4.1: {DeepVision.Devices.OneDnnConvolutions.LimitedToSse41}\");"),
        ], new JsonObject { ["quick"] = new JsonObject { ["epochs"] = 2, ["rate"] = 0.5, ["label"] = "quick \"q\"", ["fast"] = true } });
        // The helpers package for the live display, referenced the way the course's notebooks reference it, before any
        // other code runs (the kernel accepts `#r "nuget: …"` only then).
        var version = System.Xml.Linq.XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props")).Descendants("DeepVisionVersion").Single().Value;
        var cells = JsonNode.Parse(File.ReadAllText(source))!.AsObject();
        cells["cells"]!.AsArray()[1]!["source"] = $"#r \"nuget: DeepVision, {version}\"\n" + (string)cells["cells"]![1]!["source"]!;
        File.WriteAllText(source, cells.ToJsonString());
        var before = File.ReadAllBytes(source);
        var outDir = Path.Combine(folder.Path, "out");

        var (code, log) = Tool("run", "--profile", "quick", "--out", outDir, source);

        Assert.True(code == 0, log);
        Assert.Equal(before, File.ReadAllBytes(source));
        Assert.Contains("notebooks: 1 passed, 0 failed", log);
        Assert.Contains("quick \"q\" 2 0.5 True", log);   // the summary table's key results
        var executedText = File.ReadAllText(Path.Combine(outDir, "dv-tool-profile.ipynb"));
        var errors = Schema.Value.Validate(executedText);
        Assert.True(errors.Count == 0, "nbformat 4.4 schema errors:\n" + string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
        var executed = Notebook.Load(Path.Combine(outDir, "dv-tool-profile.ipynb"));
        Assert.Equal(7, executed.Cells.Count);
        Assert.True(executed.Cells[1].HasTag("parameters"));
        Assert.True(executed.Cells[2].HasTag("injected-parameters"));
        Assert.Equal("// Injected by tools/notebooks.cs: the 'quick' profile.\nepochs = 2;\nrate = 0.5;\nlabel = \"quick \\\"q\\\"\";\nfast = true;", executed.Cells[2].Source);
        Assert.Equal([1, 2, 3, 4, 5], executed.Cells.Where(c => c.IsCode).Select(c => (int)c.Json["execution_count"]!));
        Assert.Equal("yes", (string?)executed.Root["metadata"]!["deepvision"]!["kept"]);
        Assert.Equal("quick", (string?)executed.Root["metadata"]!["deepvision"]!["execution"]!["profile"]);
        var printed = string.Concat(executed.Cells[4].Outputs.Where(o => (string?)o!["output_type"] == "stream")
            .SelectMany(o => o!["text"] is JsonArray lines ? lines.Select(l => (string?)l) : [(string?)o["text"]]));
        Assert.Contains("Result: quick \"q\" 2 0.5 True", printed);
        // Five updates of one live display: one output, its last state.
        var live = Assert.Single(executed.Cells[5].Outputs);
        Assert.Contains("all 5 steps done", live!.ToJsonString());
        // "oneDNN on" reads the switch through its exported name: True or False there, never empty (not found). The
        // kernel limits oneDNN to SSE4.1 where this process does (a CPU that hides its caches), and its check then finds
        // the kernels right without switching oneDNN off: the limit reached the kernel's oneDNN.
        Assert.Contains($"convolutions right: True, oneDNN switched off: {DeepVision.Devices.OneDnnConvolutions.SwitchedOff}, oneDNN on: {!DeepVision.Devices.OneDnnConvolutions.SwitchedOff}, limited to SSE4.1: {DeepVision.Devices.OneDnnConvolutions.LimitedToSse41}\n", string.Concat(executed.Cells[6].Outputs.Select(o => TextOf(o!["text"]))));
    }

    /// <summary>A cell's outputs as (type, stream name or MIME types, text) in stored order.</summary>
    private static List<(string Type, string Name, string Text)> Shown(NotebookCell cell) =>
        cell.Outputs.Select(o => (string)o!["output_type"]! == "stream"
            ? ("stream", (string)o["name"]!, TextOf(o["text"]))
            : ((string)o["output_type"]!, string.Join(",", o["data"]!.AsObject().Select(d => d.Key)), string.Concat(o["data"]!.AsObject().Select(d => TextOf(d.Value))))).ToList();

    private static string TextOf(JsonNode? node) => node is JsonArray lines ? string.Concat(lines.Select(l => (string?)l)) : (string?)node ?? "";

    [Fact]
    public void Run_stores_printed_text_and_displays_in_the_order_the_kernel_produced_them()
    {
        // Issue 26: dotnet-repl gathers a cell's printed text after all of its displays; the executed copy must show it
        // where the kernel produced it, consecutive writes in one stdout output, as Jupyter stores them.
        using var folder = new TempFolder();
        var version = System.Xml.Linq.XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props")).Descendants("DeepVisionVersion").Single().Value;
        var source = Write(folder, "dv-tool-order.ipynb",
        [
            Cell("markdown", "# Order"),
            Cell("code", $"#r \"nuget: DeepVision, {version}\"\nvar steps = 3;", null, "parameters"),
            Cell("code", "Console.WriteLine(\"training precision: bfloat16\");\ndisplay(HTML(\"<b>the chart</b>\"));\nConsole.Write(\"printed \");\nConsole.WriteLine(\"after the chart\");\nConsole.WriteLine(\"Result: in order\");"),
            Cell("markdown", "A live display between printed lines."),
            Cell("code", "Console.WriteLine(\"before the progress bar\");\nvar live = DeepVision.LiveDisplay.Show(\"starting\");\nfor (var i = 0; i < steps; i++) { live.Update($\"step {i}\"); Console.WriteLine($\"line {i}\"); }\nlive.Finish(\"all steps done\");\nConsole.WriteLine(\"after the progress bar\");"),
        ], new JsonObject { ["quick"] = new JsonObject() });
        var outDir = Path.Combine(folder.Path, "out");

        var (code, log) = Tool("run", "--out", outDir, source);

        Assert.True(code == 0, log);
        Assert.Contains("| in order |", log);   // the Result: line, read from the stream outputs
        var executed = Notebook.Load(Path.Combine(outDir, "dv-tool-order.ipynb"));
        Assert.Equal(6, executed.Cells.Count);   // the tool's own cell is not in the copy
        Assert.Equal(
            [("stream", "stdout", "training precision: bfloat16\n"), ("display_data", "text/html", "<b>the chart</b>"), ("stream", "stdout", "printed after the chart\nResult: in order\n")],
            Shown(executed.Cells[3]));
        var live = Shown(executed.Cells[5]);
        Assert.Equal(3, live.Count);
        Assert.Equal(("stream", "stdout", "before the progress bar\n"), live[0]);
        Assert.Equal(("display_data", "text/html"), (live[1].Type, live[1].Name));
        Assert.Contains("all steps done", live[1].Text);   // the live display's last state, where it was first shown
        Assert.Equal(("stream", "stdout", "line 0\nline 1\nline 2\nafter the progress bar\n"), live[2]);
    }

    [Fact]
    public void Run_keeps_standard_error_as_a_stderr_stream_in_order()
    {
        // Issue 27: dotnet-repl appends a cell's Console.Error text to its stdout output; the executed copy keeps it apart.
        using var folder = new TempFolder();
        var source = Write(folder, "dv-tool-stderr.ipynb",
        [
            Cell("markdown", "# Standard error"), Cell("code", "var ok = 1;", null, "parameters"),
            Cell("code", "Console.WriteLine(\"out 1\");\nConsole.Error.WriteLine(\"err 1\");\nConsole.Error.Write(\"err \");\nConsole.Error.WriteLine(\"2\");\nConsole.WriteLine(\"out 2\");"),
            Cell("markdown", "Only standard error."),
            Cell("code", "Console.Error.WriteLine(\"only an error line\");"),
        ], new JsonObject { ["quick"] = new JsonObject() });
        var outDir = Path.Combine(folder.Path, "out");

        var (code, log) = Tool("run", "--out", outDir, source);

        Assert.True(code == 0, log);
        var executed = Notebook.Load(Path.Combine(outDir, "dv-tool-stderr.ipynb"));
        Assert.Equal([("stream", "stdout", "out 1\n"), ("stream", "stderr", "err 1\nerr 2\n"), ("stream", "stdout", "out 2\n")], Shown(executed.Cells[3]));
        Assert.Equal([("stream", "stderr", "only an error line\n")], Shown(executed.Cells[5]));
    }

    [Fact]
    public void Run_fails_when_a_cell_fails_and_keeps_the_error_in_the_executed_copy()
    {
        using var folder = new TempFolder();
        var source = WriteMinimal(folder, "dv-tool-failure.ipynb", "# Failure", "throw new InvalidOperationException(\"the data folder is empty\");");
        var outDir = Path.Combine(folder.Path, "out");
        var (code, log) = Tool("run", "--out", outDir, source);
        Assert.True(code == 2, log);
        Assert.Contains("notebooks: 0 passed, 1 failed", log);
        Assert.Contains("the data folder is empty", log);
        var executed = Notebook.Load(Path.Combine(outDir, "dv-tool-failure.ipynb"));
        Assert.Contains(executed.Cells[^1].Outputs, o => (string?)o!["output_type"] == "error");
    }

    [Fact]
    public void A_failure_is_reported_once_at_its_cause_and_the_cells_after_it_are_shown_unexecuted()
    {
        using var folder = new TempFolder();
        var source = Write(folder, "dv-tool-first-failure.ipynb",
        [
            Cell("markdown", "# First failure"), Cell("code", "var ok = 1;", null, "parameters"),
            Cell("code", "var data = new int[0];\nConsole.WriteLine(\"before\");"),
            Cell("code", "var first = data[0];"),
            Cell("code", "Console.WriteLine(first + 1);"),
            Cell("code", "LineChart.Accuracy(history, \"never drawn\")"),
        ], new JsonObject { ["quick"] = new JsonObject() });
        var outDir = Path.Combine(folder.Path, "out");
        var (code, log) = Tool("run", "--out", outDir, source);
        Assert.True(code == 2, log);
        Assert.Contains("failed: 1 problem,", log);
        Assert.Contains("cell 5: error output", log);   // the title, the parameters, the injected cell, then these
        var executed = Notebook.Load(Path.Combine(outDir, "dv-tool-first-failure.ipynb"));
        Assert.Contains(executed.Cells[3].Outputs, o => o!.ToJsonString().Contains("before"));
        Assert.Contains(executed.Cells[4].Outputs, o => (string?)o!["output_type"] == "error");
        Assert.All(executed.Cells.Skip(5), c => Assert.Empty(c.Outputs));
        Assert.All(executed.Cells.Skip(5), c => Assert.Null(c.Json["execution_count"]));
    }

    [X86UnixFact]
    public void A_kernel_ended_by_an_arithmetic_fault_is_named_with_its_signal()
    {
        // What libtorch's oneDNN does on a CPU that hides its caches (CpuCacheTopology), on every machine: an integer
        // division by zero in native code (libc's div), which no managed handler can catch, ends the kernel's process.
        using var folder = new TempFolder();
        var source = WriteMinimal(folder, "dv-tool-sigfpe.ipynb", "# Arithmetic fault",
            "[System.Runtime.InteropServices.DllImport(\"libc\")] static extern long div(int numerator, int denominator);\nConsole.WriteLine(div(1, 0));");
        var (code, log) = Tool("run", "--out", Path.Combine(folder.Path, "out"), source);
        Assert.True(code == 2, log);
        Assert.Contains("dotnet-repl failed (exit 136: SIGFPE, an arithmetic fault in native code", log);
        Assert.Equal(CpuCacheTopology.Hidden, log.Contains("hides its cache sizes"));
    }

    [Fact]
    public void Run_stops_a_notebook_at_its_timeout()
    {
        using var folder = new TempFolder();
        var source = WriteMinimal(folder, "dv-tool-timeout.ipynb", "# Forever", "System.Threading.Thread.Sleep(TimeSpan.FromMinutes(10));");
        var watch = Stopwatch.StartNew();
        var (code, log) = Tool("run", "--timeout", "20", "--out", Path.Combine(folder.Path, "out"), source);
        Assert.Equal(2, code);
        Assert.Contains("timed out after 20 s", log);
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), $"the run took {watch.Elapsed}");
    }

    [Fact]
    public void A_profile_the_notebook_lacks_is_named()
    {
        using var folder = new TempFolder();
        var source = WriteMinimal(folder, "dv-tool-noprofile.ipynb", "# No cpu profile");
        var (code, log) = Tool("prepare", "--profile", "cpu", source, Path.Combine(folder.Path, "copy.ipynb"));
        Assert.Equal(2, code);
        Assert.Contains("dv-tool-noprofile.ipynb: it has no 'cpu' profile", log);
        Assert.False(File.Exists(Path.Combine(folder.Path, "copy.ipynb")));
    }

    /// <summary>
    /// The official nbformat 4.4 schema. NJsonSchema cannot follow references into nested definitions
    /// ("#/definitions/misc/…"), so those are lifted one level up first; the rules themselves are unchanged.
    /// </summary>
    [Fact]
    public void Stored_outputs_are_current_and_back_every_result_the_summaries_and_the_readme_state()
    {
        // Here rather than with the course's other conventions: every test that runs tools/notebooks.cs is in this
        // class, so that no two of them run the file-based app at once.
        // tools/notebooks.cs verify: outputs only from a recording whose code hash and parameters match the notebook,
        // clean by the learner check, and holding every bold figure of the summaries and of the README's table.
        var (code, output, errors) = DotnetTool.Run("notebooks.cs", null, "verify");
        Assert.True(code == 0, output + errors);
        Assert.Contains("all current and backing their stated results", output);
    }

    [Fact]
    public void Record_writes_the_outputs_into_the_notebook_and_verify_catches_stale_or_unbacked_results()
    {
        using var folder = new TempFolder();
        var source = Write(folder, "dv-tool-record.ipynb",
        [
            Cell("markdown", "# Recorded"),
            Cell("code", "var factor = 2;", null, "parameters"),
            Cell("code", "Console.WriteLine($\"Result: accuracy {40 * factor + 0.5:F1}%\");"),
            Cell("markdown", "## Summary\n\n- **Result:** accuracy **80.5%** (quoted: 99.9%)\n\n## Exercises\n\n1. One."),
        ], new JsonObject { ["quick"] = new JsonObject { ["factor"] = 3 } });
        var before = JsonNode.Parse(File.ReadAllText(source))!.AsObject();

        // Recorded in the full profile: the parameters cell's own values, so the output says 80.5%.
        var (code, log) = Tool("record", "--profile", "full", source);
        Assert.True(code == 0, log);
        var after = JsonNode.Parse(File.ReadAllText(source))!.AsObject();
        var cells = after["cells"]!.AsArray();
        Assert.Equal(before["cells"]!.AsArray().Count, cells.Count);       // no injected cell carried over
        for (var i = 0; i < cells.Count; i++)
            Assert.Equal(before["cells"]![i]!["source"]!.ToJsonString(), cells[i]!["source"]!.ToJsonString());
        Assert.Contains("Result: accuracy 80.5%", cells[2]!["outputs"]!.ToJsonString());
        Assert.Equal(2, cells[2]!["execution_count"]!.GetValue<int>());
        var recorded = after["metadata"]!["deepvision"]!["recorded"]!;
        Assert.Equal("full", recorded["profile"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessorCount, recorded["machine"]!["cores"]!.GetValue<int>());
        Assert.Matches("^[0-9a-f]{64}$", recorded["codeHash"]!.GetValue<string>());
        Assert.Equal("yes", after["metadata"]!["deepvision"]!["kept"]!.GetValue<string>());
        (code, log) = Tool("verify", source);
        Assert.True(code == 0, log);

        // A figure in bold that the outputs do not show is refused; a quoted one (not bold) is not checked.
        var summary = after["cells"]![3]!.AsObject();
        summary["source"] = "## Summary\n\n- accuracy **81.5%**\n\n## Exercises\n\n1. One.";
        File.WriteAllText(source, after.ToJsonString());
        (code, log) = Tool("verify", source);
        Assert.Equal(2, code);
        Assert.Contains("states **81.5%**, which its stored outputs do not show", log);

        // Changing code makes the stored outputs stale.
        summary["source"] = "## Summary\n\n- accuracy **80.5%**\n\n## Exercises\n\n1. One.";
        after["cells"]![2]!["source"] = "Console.WriteLine(\"Result: something else\");";
        File.WriteAllText(source, after.ToJsonString());
        (code, log) = Tool("verify", source);
        Assert.Equal(2, code);
        Assert.Contains("code cells changed since the recording", log);
        Assert.Contains("./build.sh record notebooks/dv-tool-record.ipynb", log);

        // Outputs without a recording are refused too.
        after["metadata"]!["deepvision"]!.AsObject().Remove("recorded");
        File.WriteAllText(source, after.ToJsonString());
        (code, log) = Tool("verify", source);
        Assert.Equal(2, code);
        Assert.Contains("has outputs but no recording", log);
    }

    [Fact]
    public void A_failing_run_records_nothing()
    {
        using var folder = new TempFolder();
        var source = WriteMinimal(folder, "dv-tool-record-fail.ipynb", "# Fails", "throw new Exception(\"broken\");");
        var before = File.ReadAllText(source);
        var (code, log) = Tool("record", "--profile", "quick", source);
        Assert.Equal(2, code);
        Assert.Contains("not recorded", log);
        Assert.Equal(before, File.ReadAllText(source));
    }

    private static JsonSchema LoadSchema()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Notebooks", "Schemas", "nbformat.v4.4.schema.json"));
        var root = JsonNode.Parse(text)!.AsObject();
        var definitions = root["definitions"]!.AsObject();
        var misc = definitions["misc"]!.AsObject();
        definitions.Remove("misc");
        foreach (var (name, schema) in misc.ToList())
        {
            misc.Remove(name);
            definitions[$"misc_{name}"] = schema;
        }
        return JsonSchema.FromJsonAsync(root.ToJsonString().Replace("#/definitions/misc/", "#/definitions/misc_")).GetAwaiter().GetResult();
    }
}
