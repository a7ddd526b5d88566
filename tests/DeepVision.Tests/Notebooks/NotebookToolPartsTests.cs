using System.Text.Json.Nodes;
using DeepVision.NotebookTool;

namespace DeepVision.Tests.Notebooks;

/// <summary>
/// The notebook tool's pure parts, called directly (tools/NotebookTool): the code hash, the bold figures a summary
/// states, profile values as C# literals and their injection, the order of outputs, the merge of dotnet-repl's
/// outputs, statuses and the JSON summary build.sh reads. The tool's commands in the real kernel are NotebookToolTests.
/// </summary>
public class NotebookToolPartsTests
{
    private static JsonObject Code(string source, JsonArray? outputs = null, params string[] tags) => new()
    {
        ["cell_type"] = "code",
        ["execution_count"] = null,
        ["metadata"] = new JsonObject { ["tags"] = new JsonArray([.. tags.Select(t => JsonValue.Create(t))]) },
        ["outputs"] = outputs ?? [],
        ["source"] = source,
    };

    private static JsonObject Markdown(string source) => new() { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = source };

    private static JsonObject NotebookOf(params JsonObject[] cells) => new()
    {
        ["cells"] = new JsonArray([.. cells]),
        ["metadata"] = new JsonObject { ["deepvision"] = new JsonObject { ["profiles"] = new JsonObject { ["quick"] = new JsonObject { ["epochs"] = 2, ["label"] = "q" } } } },
        ["nbformat"] = 4,
        ["nbformat_minor"] = 4,
    };

    private static JsonObject Display(string mime, string text) =>
        new() { ["output_type"] = "display_data", ["data"] = new JsonObject { [mime] = text }, ["metadata"] = new JsonObject() };

    private static JsonObject Marker(string name, string text) => Display(OutputOrder.StreamMime + name, text);

    private static JsonObject Gathered(string text) => new() { ["name"] = "stdout", ["output_type"] = "stream", ["text"] = Ipynb.Lines(text) };

    /// <summary>Outputs as (type, stream name or MIME type, text) for comparison.</summary>
    private static List<(string, string, string)> Shown(IEnumerable<JsonNode> outputs) => outputs.Select(o => Ipynb.OutputType(o) == "stream"
        ? ("stream", (string)o["name"]!, Ipynb.Text(o["text"]))
        : (Ipynb.OutputType(o), string.Join(",", (o["data"] as JsonObject ?? []).Select(d => d.Key)), string.Concat((o["data"] as JsonObject ?? []).Select(d => Ipynb.Text(d.Value))))).ToList();

    [Fact]
    public void The_code_hash_follows_the_code_cells_only()
    {
        var notebook = NotebookOf(Markdown("# Title"), Code("var a = 1;\nvar b = 2;", null, "parameters"), Code("Console.WriteLine(a);"));
        var hash = Ipynb.CodeHash(notebook);
        Assert.Matches("^[0-9a-f]{64}$", hash);

        var prose = (JsonObject)notebook.DeepClone();
        Ipynb.Cells(prose)[0]!["source"] = "# Another title";
        Assert.Equal(hash, Ipynb.CodeHash(prose));

        var lines = (JsonObject)notebook.DeepClone();   // source as nbformat's lines, with Windows line endings
        Ipynb.Cells(lines)[1]!["source"] = new JsonArray("var a = 1;\r\n", "var b = 2;");
        Assert.Equal(hash, Ipynb.CodeHash(lines));

        var injected = ParameterInjection.Inject(notebook, "quick").Notebook;   // the injected cell is not the notebook's code
        Assert.Equal(hash, Ipynb.CodeHash(injected));

        var code = (JsonObject)notebook.DeepClone();
        Ipynb.Cells(code)[2]!["source"] = "Console.WriteLine(b);";
        Assert.NotEqual(hash, Ipynb.CodeHash(code));
    }

    [Fact]
    public void Bold_figures_are_the_stated_results_and_match_outputs_however_they_are_spaced()
    {
        var figures = Verifier.BoldFigures("- **Result:** accuracy **98.63%** on **1,000** images (quoted: 99.9%), **0.68M** parameters, **epoch 6 of 10**").ToList();
        Assert.Equal(["98.63%", "1,000", "0.68", "6", "10"], figures);
        Assert.Equal("98.63% of 1000", Verifier.Normalize("98.63\u00a0% of 1,000"));
        Assert.Contains(Verifier.Normalize("98.63%"), Verifier.Normalize("Result: test accuracy 98.63 %"));
    }

    [Theory]
    [InlineData("2", "2")]
    [InlineData("-7", "-7")]
    [InlineData("0.5", "0.5")]
    [InlineData("1.0", "1.0")]
    [InlineData("1e-3", "0.001")]
    [InlineData("1e20", "1E+20")]
    [InlineData("true", "true")]
    [InlineData("false", "false")]
    [InlineData("null", "null")]
    [InlineData("\"plain\"", "\"plain\"")]
    [InlineData("\"q \\\"x\\\" \\\\ \\n \\t \\u0001\"", "\"q \\\"x\\\" \\\\ \\n \\t \\u0001\"")]
    public void Profile_values_become_csharp_literals(string json, string literal)
    {
        Assert.Equal(literal, ParameterInjection.CSharpLiteral(JsonNode.Parse(json), "value"));
    }

    [Fact]
    public void Only_scalars_and_one_line_expressions_can_be_injected()
    {
        Assert.Equal("Precision.Float32", ParameterInjection.CSharpLiteral(JsonNode.Parse("{\"csharp\": \" Precision.Float32 \"}"), "value"));
        foreach (var json in new[] { "[1, 2]", "{\"csharp\": \"a; b\"}", "{\"csharp\": \"a\\nb\"}", "{\"csharp\": \" \"}", "{\"csharp\": 1}", "{\"csharp\": \"a\", \"x\": 1}" })
        {
            var error = Assert.Throws<NotebookException>(() => ParameterInjection.CSharpLiteral(JsonNode.Parse(json), "profile 'quick', sizes"));
            Assert.StartsWith("profile 'quick', sizes: only strings, numbers, booleans, null and {\"csharp\": \"an expression\"} (one line, no ';') can be injected, not ", error.Message);
        }
    }

    [Fact]
    public void A_profile_is_injected_after_the_parameters_cell_and_the_source_is_left_alone()
    {
        var source = NotebookOf(Markdown("# Title"), Code("var epochs = 5;\nvar label = \"full\";", null, "parameters"), Code("Console.WriteLine(epochs);"));
        var before = source.ToJsonString();

        var prepared = ParameterInjection.Inject(source, "quick");

        Assert.Equal(before, source.ToJsonString());
        var cells = Ipynb.Cells(prepared.Notebook);
        Assert.Equal(4, cells.Count);
        Assert.True(Ipynb.HasTag(cells[2]!, ParameterInjection.InjectedTag));
        Assert.Equal("// Injected by tools/notebooks.cs: the 'quick' profile.\nepochs = 2;\nlabel = \"q\";", Ipynb.Text(cells[2]!["source"]));
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["epochs"] = 2, ["label"] = "q" }, prepared.Parameters));

        var full = ParameterInjection.Inject(source, ParameterInjection.Full);
        Assert.Equal(before, full.Notebook.ToJsonString());
        Assert.Empty(full.Parameters);
    }

    [Fact]
    public void A_profile_that_cannot_be_injected_is_named()
    {
        var source = NotebookOf(Markdown("# Title"), Code("var epochs = 5;", null, "parameters"));
        Assert.StartsWith("it has no 'cpu' profile", Assert.Throws<NotebookException>(() => ParameterInjection.Inject(source, "cpu")).Message);

        DeepVisionMetadata.Profile(source, "quick")!["not a name"] = 1;
        Assert.Equal("profile 'quick': 'not a name' is not a C# variable name", Assert.Throws<NotebookException>(() => ParameterInjection.Inject(source, "quick")).Message);

        var unparameterized = NotebookOf(Markdown("# Title"), Code("var epochs = 5;"));
        Assert.StartsWith("it has no code cell tagged 'parameters'", Assert.Throws<NotebookException>(() => ParameterInjection.Inject(unparameterized, "quick")).Message);
    }

    [Fact]
    public void Printed_text_goes_where_the_kernel_produced_it_and_stderr_stays_stderr()
    {
        // What dotnet-repl writes for a cell that prints, shows a chart, prints to both streams and returns a value:
        // the stream-order cell's markers in order, and its own gathered text (stdout, "\n\n", stderr) after the displays.
        JsonNode[] raw =
        [
            Marker("stdout", "training precision: bfloat16\n"), Marker("stdout", "epoch 1"), Marker("stdout", "\n"),
            Display("text/html", "<img src=\"chart.png\"/>"),
            Marker("stderr", "a warning\n"), Marker("stdout", "Result: 90%\n"), Marker("stdout", ""),
            Display("text/plain", "returned"),
            Gathered("training precision: bfloat16\nepoch 1\nResult: 90%\n\n\na warning\n"),
        ];

        var ordered = OutputOrder.MergeStreams(OutputOrder.StreamsInKernelOrder(raw));

        Assert.Equal(
        [
            ("stream", "stdout", "training precision: bfloat16\nepoch 1\n"),
            ("display_data", "text/html", "<img src=\"chart.png\"/>"),
            ("stream", "stderr", "a warning\n"),
            ("stream", "stdout", "Result: 90%\n"),
            ("display_data", "text/plain", "returned"),
        ], Shown(ordered));
        Assert.Equal(new JsonArray("training precision: bfloat16\n", "epoch 1\n").ToJsonString(), ordered[0]["text"]!.ToJsonString());
    }

    [Fact]
    public void Printed_text_that_does_not_match_dotnet_repls_own_copy_is_refused()
    {
        Assert.Throws<NotebookException>(() => OutputOrder.StreamsInKernelOrder([Marker("stdout", "a\n"), Gathered("a\nb\n")]));
        Assert.Throws<NotebookException>(() => OutputOrder.StreamsInKernelOrder([Gathered("never marked\n")]));
        Assert.Throws<NotebookException>(() => OutputOrder.StreamsInKernelOrder([Marker("stderr", "e\n")]));
        // A cell that printed nothing keeps its displays as they are.
        Assert.Equal([("display_data", "text/plain", "x")], Shown(OutputOrder.StreamsInKernelOrder([Display("text/plain", "x")])));
    }

    [Fact]
    public void Only_consecutive_writes_to_one_stream_are_merged()
    {
        JsonNode[] outputs = [Ipynb.Stream("stdout", "a\n"), Ipynb.Stream("stdout", "b\n"), Ipynb.Stream("stderr", "c\n"), Display("text/plain", "d"), Ipynb.Stream("stdout", "e")];
        Assert.Equal(
            [("stream", "stdout", "a\nb\n"), ("stream", "stderr", "c\n"), ("display_data", "text/plain", "d"), ("stream", "stdout", "e")],
            Shown(OutputOrder.MergeStreams(outputs)));
    }

    [Fact]
    public void A_live_display_keeps_its_last_state_in_the_place_of_its_first()
    {
        static JsonObject Live(string text) => Display("text/html", $"<div data-deepvision-live=\"0a1b\">{text}</div>");
        JsonNode[] outputs =
        [
            Display("text/html", "<div><strong>Installing Packages</strong></div>"),
            Display("text/html", "<div><strong>Installed Packages</strong></div>"),
            Ipynb.Stream("stdout", "before\n"), Live("step 1"), Ipynb.Stream("stdout", "line 1\n"), Live("step 2"), Ipynb.Stream("stdout", "after\n"),
        ];
        var kept = OutputOrder.MergeStreams(OutputOrder.KeepLastUpdates(outputs));
        Assert.Equal(
        [
            ("display_data", "text/html", "<div><strong>Installed Packages</strong></div>"),
            ("stream", "stdout", "before\n"),
            ("display_data", "text/html", "<div data-deepvision-live=\"0a1b\">step 2</div>"),
            ("stream", "stdout", "line 1\nafter\n"),
        ], Shown(kept));
    }

    [Fact]
    public void The_executed_copy_leaves_out_the_stream_order_cell_and_shows_the_cells_after_a_failure_unexecuted()
    {
        var prepared = NotebookOf(Markdown("# Title"), Code("var a = 1;", null, "parameters"), Code("Console.WriteLine(a);"), Code("throw new Exception();"), Code("Console.WriteLine(2);"));
        JsonObject Ran(params JsonNode[] outputs) => new()
        {
            ["cell_type"] = "code", ["metadata"] = new JsonObject { ["dotnet_repl_cellExecutionStartTime"] = "2026-01-01T00:00:00Z" },
            ["outputs"] = new JsonArray(outputs), ["source"] = "",
        };
        var raw = NotebookOf(Ran(), Markdown("# Title"), Ran(), Ran(Marker("stdout", "1\n"), Gathered("1\n")),
            Ran(new JsonObject { ["output_type"] = "error", ["ename"] = "Error", ["evalue"] = "boom", ["traceback"] = new JsonArray() }),
            Ran(Marker("stdout", "2\n"), Gathered("2\n")));

        var executed = DotnetReplEngine.Merge(prepared, raw);

        var cells = Ipynb.Cells(executed);
        Assert.Equal(5, cells.Count);
        Assert.Equal("var a = 1;", Ipynb.Text(cells[1]!["source"]));   // the source's cells, with their metadata and tags
        Assert.True(Ipynb.HasTag(cells[1]!, "parameters"));
        Assert.Equal([1, 2, 3], cells.Where(Ipynb.IsCode).Take(3).Select(c => (int)c!["execution_count"]!));
        Assert.Equal([("stream", "stdout", "1\n")], Shown(Ipynb.Outputs(cells[2]!)));
        Assert.Null(cells[4]!["execution_count"]);
        Assert.Empty(Ipynb.Outputs(cells[4]!));

        var mismatched = (JsonObject)raw.DeepClone();
        Ipynb.Cells(mismatched).RemoveAt(0);
        Assert.Contains("the tool's stream-order cell", Assert.Throws<NotebookException>(() => DotnetReplEngine.Merge(prepared, mismatched)).Message);

        var broken = (JsonObject)raw.DeepClone();
        Ipynb.Cells(broken)[0]!["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "error", ["ename"] = "Error", ["evalue"] = "CS0234" });
        Assert.Equal("the tool's stream-order cell failed in the kernel: CS0234", Assert.Throws<NotebookException>(() => DotnetReplEngine.Merge(prepared, broken)).Message);
    }

    [Fact]
    public void The_learner_check_numbers_cells_from_one_and_says_a_failure_once()
    {
        var notebook = NotebookOf(Markdown("# Title"),
            Code("var x = 1;", [new JsonObject { ["output_type"] = "error", ["ename"] = "Error", ["evalue"] = "boom" }]),
            Code("LineChart.Accuracy(history, \"never drawn\")"));
        Assert.Equal([new Problem(2, "error output: Error: boom")], LearnerCheck.Check(notebook));
        Assert.Equal("cell 2: error output: Error: boom", LearnerCheck.Check(notebook)[0].ToString());
    }

    [Fact]
    public void The_tool_knows_a_live_display_by_the_attribute_the_helpers_mark_it_with()
    {
        Assert.Equal(DeepVision.LiveDisplay.MarkerAttribute, OutputOrder.LiveMarkerAttribute);
    }

    private sealed class Named(string name) : IExecutionEngine
    {
        public string Name => name;
        public string Executor => name + " 1.0";
        public EngineResult Execute(JsonObject prepared, string notebook, TimeSpan timeout) => throw new NotSupportedException();
    }

    [Fact]
    public void An_arithmetic_fault_names_the_signal_and_where_the_cpu_hides_its_caches_the_likely_cause()
    {
        var text = ProcessExit.Describe(136);
        if (!OperatingSystem.IsWindows())
        {
            Assert.StartsWith("exit 136: SIGFPE, an arithmetic fault in native code", text);
            Assert.Equal(CpuCacheTopology.Hidden, text.Contains("hides its cache sizes"));
        }
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal("exit 137: SIGKILL, killed from outside, often for running out of memory", ProcessExit.Describe(137));
            Assert.Equal("exit 143: signal 15", ProcessExit.Describe(143));
        }
        Assert.Equal("exit 1", ProcessExit.Describe(1));
        // Linux reads the same CPUID leaf where it lists an Intel CPU, or an AMD one with topology extensions: then it
        // lists no cache of the first CPU exactly when the leaf is blank.
        var cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : "";
        if (OperatingSystem.IsLinux() && System.Runtime.Intrinsics.X86.X86Base.IsSupported
            && (cpuinfo.Contains("GenuineIntel") || (cpuinfo.Contains("AuthenticAMD") && cpuinfo.Contains(" topoext"))))
            Assert.Equal(!Directory.Exists("/sys/devices/system/cpu/cpu0/cache/index0"), CpuCacheTopology.Hidden);
    }

    [Fact]
    public void A_status_says_how_a_run_ended()
    {
        var engine = new Named("dotnet-repl");
        var limit = TimeSpan.FromSeconds(20);
        RunStatus Of(int exit, bool timedOut, int problems, bool executed) => RunStatus.Of(engine, new ProcessRun(exit, timedOut, ""), problems, limit, executed);
        Assert.Equal(new RunStatus(Outcome.Passed, "passed"), Of(0, false, 0, true));
        Assert.Equal(new RunStatus(Outcome.Problems, "failed: 1 problem"), Of(2, false, 1, true));
        Assert.Equal(new RunStatus(Outcome.Problems, "failed: 3 problems"), Of(2, false, 3, true));
        Assert.Equal(new RunStatus(Outcome.EngineError, "failed (dotnet-repl exit 2)"), Of(2, false, 0, true));
        Assert.Equal(new RunStatus(Outcome.EngineFailed, OperatingSystem.IsWindows() ? "dotnet-repl failed (exit 134)" : "dotnet-repl failed (exit 134: SIGABRT, native code aborted)"), Of(134, false, 0, false));
        Assert.Equal(new RunStatus(Outcome.EngineFailed, "dotnet-repl failed (exit 3)"), Of(3, false, 0, false));
        Assert.Equal(new RunStatus(Outcome.TimedOut, "timed out after 20 s"), Of(-1, true, 0, false));
        Assert.Equal(new RunStatus(Outcome.TimedOut, "timed out after 20 s"), Of(-1, true, 2, true));
        Assert.True(Of(0, false, 0, true).Passed);
        Assert.False(RunStatus.Refused("it has no 'cpu' profile").Passed);
    }

    [Fact]
    public void The_summary_is_json_that_build_sh_reads_and_a_table_that_people_read()
    {
        var engine = new Named("jupyter");
        NotebookRun Run(string name, RunStatus status, params string[] results) =>
            new(name, null, status, TimeSpan.FromSeconds(12.345), results, new JsonObject(), status.Passed ? [] : [new Problem(4, "error output: Error: boom")]);
        var summary = RunSummary.Of(engine, "quick",
            [Run("01-a.ipynb", new RunStatus(Outcome.Passed, "passed"), "slope 2.5 | intercept -1", "loss 0.1"), Run("02-b.ipynb", new RunStatus(Outcome.Problems, "failed: 1 problem"))]);

        var json = JsonNode.Parse(summary.ToJson())!;
        Assert.Equal(1, (int)json["passed"]!);
        Assert.Equal(1, (int)json["failed"]!);
        Assert.Equal("jupyter", (string?)json["engine"]);
        Assert.Equal("quick", (string?)json["profile"]);
        Assert.Equal("problems", (string?)json["notebooks"]![1]!["outcome"]);
        Assert.Equal("cell 4: error output: Error: boom", (string?)json["notebooks"]![1]!["problems"]![0]);
        Assert.Equal(summary.Notebooks.Count, RunSummary.FromJson(summary.ToJson()).Notebooks.Count);
        Assert.Equal(Outcome.Problems, RunSummary.FromJson(summary.ToJson()).Notebooks[1].Outcome);

        Assert.Equal("""
            | notebook | status | time | key results (quick profile) |
            |---|---|---|---|
            | 01-a.ipynb | passed | 12 s | slope 2.5 \| intercept -1; loss 0.1 |
            | 02-b.ipynb | failed: 1 problem | 12 s |  |

            """, summary.Table().ReplaceLineEndings("\n"));
    }
}
