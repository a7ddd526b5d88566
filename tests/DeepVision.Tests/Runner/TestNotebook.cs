using System.Text.Json.Nodes;
using DeepVision.Runner.Execution;
using DeepVision.Runner.Notebooks;

namespace DeepVision.Tests.Runner;

/// <summary>Writes small Polyglot notebooks into a temporary folder (with the repository's nuget.config) for the runner tests.</summary>
internal sealed class TestNotebook
{
    private readonly JsonArray _cells = [];
    private readonly JsonObject _metadata = new()
    {
        ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
        ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
        ["polyglot_notebook"] = new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = "csharp",
                ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
            },
        },
    };

    public TestNotebook Markdown(string text)
    {
        _cells.Add(new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = NotebookDocument.ToLines(text) });
        return this;
    }

    public TestNotebook Code(string code, string? kernel = "csharp", params string[] tags)
    {
        var metadata = new JsonObject();
        if (kernel is not null)
        {
            metadata["dotnet_interactive"] = new JsonObject { ["language"] = kernel };
            metadata["polyglot_notebook"] = new JsonObject { ["kernelName"] = kernel };
        }
        if (tags.Length > 0) metadata["tags"] = new JsonArray(tags.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
        _cells.Add(new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["metadata"] = metadata,
            ["outputs"] = new JsonArray(),
            ["source"] = NotebookDocument.ToLines(code),
        });
        return this;
    }

    public TestNotebook Parameters(string code) => Code(code, "csharp", "parameters");

    public TestNotebook Profile(string name, JsonObject values)
    {
        var deepvision = (_metadata["deepvision"] ??= new JsonObject { ["profiles"] = new JsonObject() }).AsObject();
        deepvision["profiles"]![name] = values;
        return this;
    }

    public string Json => NotebookDocument.Serialize(new JsonObject
    {
        ["cells"] = _cells.DeepClone(),
        ["metadata"] = _metadata.DeepClone(),
        ["nbformat"] = 4,
        ["nbformat_minor"] = 4,
    });

    /// <summary>Saves the notebook as <paramref name="name"/> in <paramref name="folder"/> and returns its path.</summary>
    public string SaveIn(string folder, string name = "test.ipynb")
    {
        Directory.CreateDirectory(folder);
        var repoConfig = Path.Combine(RepoPaths.Root, "nuget.config");
        var config = Path.Combine(folder, "nuget.config");
        if (!File.Exists(config)) File.Copy(repoConfig, config);
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, Json);
        return path;
    }
}

/// <summary>A temporary folder per test, removed afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("dv-runner-test").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Runs notebooks in this process, one at a time (the runner owns Console and the working directory).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunnerCollection : ICollectionFixture<RunnerFixture>
{
    public const string Name = "Notebook runner";
}

public sealed class RunnerFixture : IDisposable
{
    public RunnerFixture()
    {
        // Load TorchSharp from the test's own output first, so that notebooks in this process share that copy
        // instead of loading a second libtorch from the NuGet cache.
        using var warmup = torch.ones(1);
        PackageCache = Directory.CreateTempSubdirectory("dv-runner-packages").FullName;
    }

    /// <summary>One restore cache for the whole collection, as a learner's machine has one.</summary>
    public string PackageCache { get; }

    public void Dispose()
    {
        try { Directory.Delete(PackageCache, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public NotebookResult Run(string path, NotebookRunOptions? options = null)
    {
        var live = new StringWriter();
        var executor = new NotebookExecutor(live, new StringWriter());
        return executor.Run(NotebookDocument.Load(path), (options ?? new NotebookRunOptions()) with { PackageCache = PackageCache });
    }
}

internal static class OutputAssertions
{
    public static IEnumerable<JsonObject> Outputs(this NotebookResult result, int cellNumber) =>
        result.Cells.Single(c => c.Number == cellNumber).Outputs.OfType<JsonObject>();

    public static string Stdout(this NotebookResult result, int cellNumber) => string.Concat(
        result.Outputs(cellNumber).Where(o => (string?)o["output_type"] == "stream" && (string?)o["name"] == "stdout")
            .SelectMany(o => o["text"]!.AsArray().Select(t => (string)t!)));

    public static List<JsonObject> Displays(this NotebookResult result, int cellNumber) =>
        result.Outputs(cellNumber).Where(o => (string?)o["output_type"] == "display_data").Select(o => o["data"]!.AsObject()).ToList();

    public static string Text(this JsonObject data, string mime) => data[mime] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string)l!)),
        JsonValue value => (string)value!,
        _ => throw new Xunit.Sdk.XunitException($"no {mime} in the display data: {data.ToJsonString()}"),
    };

    public static JsonObject Error(this NotebookResult result, int cellNumber) =>
        result.Outputs(cellNumber).Single(o => (string?)o["output_type"] == "error");
}
