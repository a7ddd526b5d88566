using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using DeepVision.Runner;
using DeepVision.Runner.Execution;
using DeepVision.Runner.Notebooks;
using DeepVision.Runner.Reporting;
using NJsonSchema;

namespace DeepVision.Tests.Runner;

/// <summary>The executed notebook (valid nbformat 4.4, inputs untouched), TRX, and the command line's exit codes.</summary>
[Collection(RunnerCollection.Name)]
public class RunnerOutputTests(RunnerFixture runner)
{
    private static readonly Lazy<JsonSchema> Schema = new(LoadSchema);

    /// <summary>
    /// The official nbformat 4.4 schema. NJsonSchema cannot follow references into nested definitions
    /// ("#/definitions/misc/…"), so those are lifted one level up first; the rules themselves are unchanged.
    /// </summary>
    private static JsonSchema LoadSchema()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Runner", "Schemas", "nbformat.v4.4.schema.json"));
        var root = JsonNode.Parse(text)!.AsObject();
        var definitions = root["definitions"]!.AsObject();
        var misc = definitions["misc"]!.AsObject();
        definitions.Remove("misc");
        foreach (var (name, schema) in misc.ToList())
        {
            misc.Remove(name);
            definitions[$"misc_{name}"] = schema;
        }
        var flattened = root.ToJsonString().Replace("#/definitions/misc/", "#/definitions/misc_");
        Assert.DoesNotContain("#/definitions/misc/", flattened);
        return JsonSchema.FromJsonAsync(flattened).GetAwaiter().GetResult();
    }

    private static TestNotebook Mixed() => new TestNotebook()
        .Markdown("# Mixed\nSome *markdown*.")
        .Parameters("var epochs = 2;")
        .Code("Console.WriteLine(\"Result: accuracy 97.5% (2 epochs)\");\ndisplay(HTML(\"<b>x</b>\"));\n\"text\"")
        .Code("Console.Error.WriteLine(\"careful\");\nthrow new InvalidOperationException(\"boom\");")
        .Code("var afterFailure = 1;");

    private static void AssertValidNbformat(string json)
    {
        var errors = Schema.Value.Validate(json);
        Assert.True(errors.Count == 0, "nbformat 4.4 schema errors:\n" + string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
    }

    [Fact]
    public void The_schema_check_itself_rejects_a_broken_notebook()
    {
        // A code cell without outputs and with an unknown key must fail, or the validity test below proves nothing.
        var errors = Schema.Value.Validate("""{"cells":[{"cell_type":"code","metadata":{},"source":"x","bogus":1}],"metadata":{},"nbformat":4,"nbformat_minor":4}""");
        Assert.NotEmpty(errors);
    }

    [Fact]
    public void Executed_notebook_is_valid_nbformat_and_changes_only_outputs()
    {
        using var temp = new TempFolder();
        var path = Mixed().SaveIn(temp.Path);
        var before = File.ReadAllBytes(path);
        var result = runner.Run(path, new NotebookRunOptions { KeepGoing = true });
        var output = Path.Combine(temp.Path, "out", "executed.ipynb");
        ExecutedNotebookWriter.Write(result, output);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([output], Directory.GetFiles(Path.GetDirectoryName(output)!));
        var json = File.ReadAllText(output);
        AssertValidNbformat(json);

        var input = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var executed = JsonNode.Parse(json)!.AsObject();
        Assert.True(JsonNode.DeepEquals(input["metadata"], executed["metadata"]));
        var inputCells = input["cells"]!.AsArray();
        var executedCells = executed["cells"]!.AsArray();
        for (var i = 0; i < inputCells.Count; i++)
        {
            Assert.True(JsonNode.DeepEquals(inputCells[i]!["source"], executedCells[i]!["source"]));
            var metadata = executedCells[i]!["metadata"]!.AsObject().DeepClone().AsObject();
            metadata.Remove("dotnet_repl_cellExecutionStartTime");
            metadata.Remove("dotnet_repl_cellExecutionEndTime");
            Assert.True(JsonNode.DeepEquals(inputCells[i]!["metadata"], metadata), $"cell {i + 1} metadata changed");
        }
        Assert.False(executedCells[0]!.AsObject().ContainsKey("outputs"));
        Assert.Equal(2, (int)executedCells[2]!["execution_count"]!);
        Assert.NotNull(executedCells[2]!["metadata"]!["dotnet_repl_cellExecutionStartTime"]);
        var error = executedCells[3]!["outputs"]!.AsArray().Single(o => (string?)o!["output_type"] == "error")!;
        Assert.Equal("Error", (string)error["ename"]!);
        // --keep-going ran the cell after the failure: execution counts go on.
        Assert.Equal(4, (int)executedCells[4]!["execution_count"]!);
        Assert.Equal(["accuracy 97.5% (2 epochs)"], result.KeyResults);
    }

    [Fact]
    public void The_runner_never_overwrites_its_input()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("var a = 1;").SaveIn(temp.Path);
        var result = runner.Run(path);
        Assert.Throws<IOException>(() => ExecutedNotebookWriter.Write(result, path));
    }

    [Fact]
    public void Trx_has_one_test_per_code_cell()
    {
        using var temp = new TempFolder();
        var result = runner.Run(Mixed().SaveIn(temp.Path), new NotebookRunOptions { KeepGoing = true });
        var trxPath = Path.Combine(temp.Path, "results.trx");
        TrxWriter.Write([result], trxPath);
        var document = XDocument.Load(trxPath);
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        var outcomes = document.Descendants(ns + "UnitTestResult").Select(r => ((string)r.Attribute("testName")!, (string)r.Attribute("outcome")!)).ToList();
        Assert.Equal([("test.ipynb cell 2", "Passed"), ("test.ipynb cell 3", "Passed"), ("test.ipynb cell 4", "Failed"), ("test.ipynb cell 5", "Passed")], outcomes);
        var counters = document.Descendants(ns + "Counters").Single();
        Assert.Equal("4", (string)counters.Attribute("total")!);
        Assert.Equal("1", (string)counters.Attribute("failed")!);
        Assert.Contains("boom", document.Descendants(ns + "Message").Single().Value);
    }

    [Fact]
    public void Command_line_exit_codes_follow_dotnet_repl()
    {
        using var temp = new TempFolder();
        var good = new TestNotebook().Code("Console.WriteLine(\"Result: fine\");").SaveIn(temp.Path, "good.ipynb");
        var bad = new TestNotebook().Code("throw new Exception(\"no\");").SaveIn(temp.Path, "bad.ipynb");
        var broken = Path.Combine(temp.Path, "broken.ipynb");
        File.WriteAllText(broken, "not json");

        var (code, stdout, stderr) = Cli("--in-process", "--run", good, "--output-path", Path.Combine(temp.Path, "good-out.ipynb"));
        Assert.Equal(0, code);
        Assert.Contains("good.ipynb", stdout);
        Assert.Contains("fine", stdout);
        Assert.Contains("1 of 1 notebooks succeeded.", stdout);
        AssertValidNbformat(File.ReadAllText(Path.Combine(temp.Path, "good-out.ipynb")));

        (code, stdout, _) = Cli("--in-process", good, bad, "--output-path", Path.Combine(temp.Path, "outs") + "/");
        Assert.Equal(2, code);
        Assert.Contains("cell 1 failed", stdout);
        Assert.True(File.Exists(Path.Combine(temp.Path, "outs", "bad.ipynb")));

        (code, _, stderr) = Cli("--in-process", broken);
        Assert.Equal(1, code);
        Assert.Contains("broken.ipynb: cannot read the notebook: it is not valid JSON", stderr);

        (code, _, stderr) = Cli("--output-format", "pdf", good);
        Assert.Equal(1, code);
        Assert.Contains("--output-format must be ipynb or trx", stderr);
        Assert.Contains("Usage:", stderr);

        (code, _, stderr) = Cli("--bogus");
        Assert.Equal(1, code);
        Assert.Contains("unknown option '--bogus'", stderr);
    }

    private (int, string, string) Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Environment.SetEnvironmentVariable("DEEPVISION_RUNNER_CACHE", runner.PackageCache);
        var code = RunnerCommand.Execute(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>The runner as a separate process, the way build.sh uses it: one worker process per notebook.</summary>
[Collection(RunnerCollection.Name)]
public class RunnerProcessTests(RunnerFixture runner)
{
    private (int Code, string Output) RunProcess(params string[] args)
    {
        var start = new ProcessStartInfo(DeepVision.Runner.Packages.PackageRestorer.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(typeof(RunnerCommand).Assembly.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DEEPVISION_RUNNER_CACHE"] = runner.PackageCache;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(true);
            throw new TimeoutException("the runner did not finish in 5 minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void A_real_torchsharp_notebook_runs_end_to_end_in_a_worker()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook()
            .Code("#r \"nuget: TorchSharp-cpu, 0.107.0\"\nusing TorchSharp;\nusing static TorchSharp.torch;")
            .Parameters("var steps = 200;")
            .Code("""
                  torch.manual_seed(0);
                  var x = torch.linspace(-1, 1, 64).unsqueeze(1);
                  var y = 3 * x + 0.5;
                  var model = nn.Linear(1, 1);
                  var optimizer = optim.SGD(model.parameters(), 0.5);
                  for (var i = 0; i < steps; i++)
                  {
                      using var scope = torch.NewDisposeScope();
                      optimizer.zero_grad();
                      var loss = nn.functional.mse_loss(model.forward(x), y);
                      loss.backward();
                      optimizer.step();
                  }
                  var w = model.weight!.item<float>();
                  Console.WriteLine($"Result: w = {w:F3}, b = {model.bias!.item<float>():F3}");
                  model.weight
                  """)
            .SaveIn(temp.Path);
        var output = Path.Combine(temp.Path, "executed.ipynb");
        var (code, text) = RunProcess("--run", path, "--exit-after-run", "--output-path", output, "--input", "steps=300");
        Assert.True(code == 0, text);
        Assert.Contains("Result: w = 3.000, b = 0.500", text);
        Assert.Contains("[runner] test.ipynb cell 3/3", text);
        var executed = NotebookDocument.Load(output);
        var lastOutputs = executed.Root["cells"]![2]!["outputs"]!.AsArray();
        Assert.Contains(lastOutputs, o => o!["data"]?["text/html"] is JsonArray html && string.Concat(html.Select(l => (string)l!)).Contains("type = Float32"));
    }

    [Fact]
    public void A_stuck_cell_is_stopped_by_killing_its_worker()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("while (true) { }").Code("var after = 1;").SaveIn(temp.Path);
        var watch = Stopwatch.StartNew();
        var (code, text) = RunProcess(path, "--cell-timeout", "2", "--output-format", "trx", "--output-path", Path.Combine(temp.Path, "r.trx"));
        Assert.Equal(2, code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
        Assert.Contains("cell 1 timed out", text);
        Assert.Contains("Outcome=\"NotExecuted\"".ToLowerInvariant(), File.ReadAllText(Path.Combine(temp.Path, "r.trx")).ToLowerInvariant());
    }
}
