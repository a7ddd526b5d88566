using System.Text.Json.Nodes;
using DeepVision.Runner.Execution;

namespace DeepVision.Tests.Runner;

/// <summary>Papermill-style parameters: the cell tagged 'parameters', --input overrides and named profiles.</summary>
[Collection(RunnerCollection.Name)]
public class RunnerParameterTests(RunnerFixture runner)
{
    private static TestNotebook Notebook() => new TestNotebook()
        .Parameters("var epochs = 10;\nvar lr = 0.1;\nvar name = \"full\";\nvar augment = true;\nvar sizes = new[] { 1, 2 };")
        .Code("Console.WriteLine($\"{epochs} {lr} {name} {augment} {string.Join('+', sizes)}\");")
        .Profile("quick", new JsonObject { ["epochs"] = 1, ["name"] = "quick" });

    [Fact]
    public void Defaults_run_when_nothing_is_given()
    {
        using var temp = new TempFolder();
        var result = runner.Run(Notebook().SaveIn(temp.Path));
        Assert.Equal("10 0.1 full True 1+2\n", result.Stdout(2));
    }

    [Fact]
    public void Inputs_are_typed_like_the_variables_they_replace()
    {
        using var temp = new TempFolder();
        var result = runner.Run(Notebook().SaveIn(temp.Path), new NotebookRunOptions
        {
            Inputs = new Dictionary<string, string> { ["epochs"] = "3", ["lr"] = "0.025", ["augment"] = "false", ["sizes"] = "4,5,6" },
        });
        Assert.True(result.Succeeded, result.FirstFailure?.Error);
        Assert.Equal("3 0.025 full False 4+5+6\n", result.Stdout(2));
        Assert.Contains("Parameters set by the runner: epochs = 3", result.Stdout(1));
    }

    [Fact]
    public void A_profile_applies_and_inputs_override_it()
    {
        using var temp = new TempFolder();
        var result = runner.Run(Notebook().SaveIn(temp.Path), new NotebookRunOptions
        {
            Profile = "quick",
            Inputs = new Dictionary<string, string> { ["epochs"] = "2" },
        });
        Assert.Equal("2 0.1 quick True 1+2\n", result.Stdout(2));
        Assert.Contains("(profile 'quick')", result.Stdout(1));
    }

    [Fact]
    public void The_full_profile_means_the_defaults_and_an_unknown_profile_is_an_error()
    {
        using var temp = new TempFolder();
        var path = Notebook().SaveIn(temp.Path);
        Assert.Equal("10 0.1 full True 1+2\n", runner.Run(path, new NotebookRunOptions { Profile = "full" }).Stdout(2));
        // An unknown profile is refused before any cell runs.
        var e = Assert.Throws<ParameterException>(() => runner.Run(path, new NotebookRunOptions { Profile = "tiny" }));
        Assert.Contains("no parameter profile 'tiny'", e.Message);
        Assert.Contains("(it has: quick)", e.Message);
    }

    [Fact]
    public void Unknown_names_and_wrong_types_are_clear_errors()
    {
        using var temp = new TempFolder();
        var path = Notebook().SaveIn(temp.Path);
        var unknown = runner.Run(path, new NotebookRunOptions { Inputs = new Dictionary<string, string> { ["epoch"] = "3" } });
        var message = (string)unknown.Error(1)["evalue"]!;
        Assert.Contains("Unknown parameter 'epoch'", message);
        Assert.Contains("epochs, lr, name, augment, sizes", message);
        Assert.Equal(CellStatus.NotRun, unknown.Cells[1].Status);

        var wrongType = runner.Run(path, new NotebookRunOptions { Inputs = new Dictionary<string, string> { ["epochs"] = "ten" } });
        Assert.Contains("Parameter 'epochs' (--input) is a int in the parameters cell, and 'ten' is not", (string)wrongType.Error(1)["evalue"]!);
    }

    [Fact]
    public void Inputs_without_a_parameters_cell_are_refused()
    {
        using var temp = new TempFolder();
        var path = new TestNotebook().Code("var epochs = 1;").SaveIn(temp.Path);
        var e = Assert.Throws<ParameterException>(() =>
            runner.Run(path, new NotebookRunOptions { Inputs = new Dictionary<string, string> { ["epochs"] = "2" } }));
        Assert.Contains("no code cell is tagged 'parameters'", e.Message);
    }
}
