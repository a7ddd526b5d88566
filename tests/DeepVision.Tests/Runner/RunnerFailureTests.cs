using DeepVision.Runner.Execution;
using DeepVision.Runner.Notebooks;

namespace DeepVision.Tests.Runner;

/// <summary>Every failure gives a clear message, the right cell status and (through the CLI) the right exit code.</summary>
[Collection(RunnerCollection.Name)]
public class RunnerFailureTests(RunnerFixture runner)
{
    [Fact]
    public void Compile_errors_report_cell_relative_lines_and_columns()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("var a = 1;").Code("#r \"nuget: TorchSharp-cpu, 0.107.0\"\nvar b = 2;\nb.Frobnicate();").Code("var c = 3;").SaveIn(temp.Path);
        var result = runner.Run(path);
        Assert.Equal(CellStatus.Failed, result.Cells[1].Status);
        var error = result.Error(2);
        Assert.Equal("Error", (string)error["ename"]!);
        Assert.StartsWith("(3,3): error CS1061:", (string)error["evalue"]!);
        Assert.StartsWith("Cell 2, line 3, column 3: error CS1061", (string)error["traceback"]![0]!);
        // Stop on error is the default: the next cell does not run.
        Assert.Equal(CellStatus.NotRun, result.Cells[2].Status);
    }

    [Fact]
    public void Runtime_exceptions_name_the_cell_and_line_and_keep_going_runs_the_rest()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook()
            .Code("var list = new List<int>();")
            .Code("var ok = 1;\n\nvar first = list[5];")
            .Code("Console.WriteLine(ok + 1);")
            .SaveIn(temp.Path);
        var result = runner.Run(path, new NotebookRunOptions { KeepGoing = true });
        var error = result.Error(2);
        Assert.StartsWith("System.ArgumentOutOfRangeException", (string)error["evalue"]!);
        var traceback = error["traceback"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.StartsWith("System.ArgumentOutOfRangeException", traceback[0]);
        Assert.Contains(traceback, line => line.StartsWith("   at cell 2, line 3, column ", StringComparison.Ordinal));
        // The state before the exception survives, as in the kernel.
        Assert.Equal("2\n", result.Stdout(3));
        Assert.False(result.Succeeded);
    }

    [Fact]
    public void A_cell_that_runs_too_long_is_stopped_and_reported()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("Console.WriteLine(\"start\");").Code("System.Threading.Thread.Sleep(20_000);").Code("var never = 1;").SaveIn(temp.Path);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = runner.Run(path, new NotebookRunOptions { CellTimeout = TimeSpan.FromSeconds(1), KeepGoing = true });
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"the timeout did not stop the wait: {watch.Elapsed}");
        Assert.Equal(CellStatus.TimedOut, result.Cells[1].Status);
        Assert.Contains("Cell 2 did not finish within 1 s", (string)result.Error(2)["evalue"]!);
        Assert.Equal(CellStatus.NotRun, result.Cells[2].Status);
    }

    [Fact]
    public void The_notebook_timeout_bounds_the_whole_run()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("System.Threading.Thread.Sleep(300);").Code("System.Threading.Thread.Sleep(20_000);").SaveIn(temp.Path);
        var result = runner.Run(path, new NotebookRunOptions { Timeout = TimeSpan.FromSeconds(2) });
        Assert.Equal(CellStatus.Succeeded, result.Cells[0].Status);
        Assert.Equal(CellStatus.TimedOut, result.Cells[1].Status);
    }

    [Fact]
    public void A_package_that_does_not_exist_fails_with_nugets_error()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("#r \"nuget: DeepVision.NoSuchPackage.ForTests, 1.0.0\"").SaveIn(temp.Path);
        var message = (string)runner.Run(path).Error(1)["evalue"]!;
        Assert.Contains("Restoring DeepVision.NoSuchPackage.ForTests, 1.0.0 failed", message);
        Assert.Contains("NU1101", message);
        Assert.Contains("Check the package name and version", message);
    }

    [Fact]
    public void A_restore_without_network_says_the_source_cannot_be_reached()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("#r \"nuget: DeepVision.NotCached.ForTests, 1.0.0\"").SaveIn(temp.Path);
        // A package source on a closed loopback port stands for a machine without network.
        File.WriteAllText(Path.Combine(temp.Path, "nuget.config"), """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="offline" value="https://127.0.0.1:9/v3/index.json" /></packageSources></configuration>
            """);
        var message = (string)runner.Run(path).Error(1)["evalue"]!;
        Assert.Contains("NU1301", message);
        Assert.Contains("could not be reached", message);
    }

    [Fact]
    public void Malformed_and_missing_notebooks_name_the_file()
    {
        using var temp = new TempFolder();
        var broken = Path.Combine(temp.Path, "broken.ipynb");
        File.WriteAllText(broken, "{\"cells\": [ {\"cell_type\": \"code\", }");
        var e = Assert.Throws<NotebookFormatException>(() => NotebookDocument.Load(broken));
        Assert.Contains(broken, e.Message);
        Assert.Contains("not valid JSON (line 1", e.Message);

        var missing = Path.Combine(temp.Path, "missing.ipynb");
        Assert.Contains("does not exist", Assert.Throws<NotebookFormatException>(() => NotebookDocument.Load(missing)).Message);

        var v3 = Path.Combine(temp.Path, "v3.ipynb");
        File.WriteAllText(v3, "{\"nbformat\": 3, \"worksheets\": []}");
        Assert.Contains("nbformat 4", Assert.Throws<NotebookFormatException>(() => NotebookDocument.Load(v3)).Message);
    }
}
