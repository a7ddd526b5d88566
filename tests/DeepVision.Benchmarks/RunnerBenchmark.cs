using System.Diagnostics;
using System.Text.Json.Nodes;
using DeepVision.Runner.Execution;
using DeepVision.Runner.Notebooks;
using DeepVision.Runner.Packages;

namespace DeepVision.Benchmarks;

/// <summary>
/// The runner's own cost. Target: after the first cell, at most 50 ms per cell beyond the cell's own work; an
/// unchanged package set restores from the cache without running dotnet restore again.
/// </summary>
public static class RunnerBenchmark
{
    private const int Cells = 60;

    public static int Run()
    {
        var failures = 0;
        var folder = Directory.CreateTempSubdirectory("dv-bench-runner").FullName;
        var cache = Directory.CreateTempSubdirectory("dv-bench-packages").FullName;
        try
        {
            // Cells whose own work is negligible: what is measured is the runner (parse, compile, run, capture).
            var cells = new JsonArray();
            cells.Add(CodeCell("var total = 0;"));
            for (var i = 1; i < Cells; i++)
                cells.Add(CodeCell($"total += {i};\nConsole.WriteLine(total);"));
            var path = Save(folder, "overhead.ipynb", cells);
            // The cells' own output would stream to this console: silence it for the measurement.
            var console = Console.Out;
            Console.SetOut(TextWriter.Null);
            NotebookResult result;
            try { result = new NotebookExecutor(TextWriter.Null, TextWriter.Null).Run(NotebookDocument.Load(path), new NotebookRunOptions { PackageCache = cache }); }
            finally { Console.SetOut(console); }
            if (!result.Succeeded) throw new InvalidOperationException($"benchmark notebook failed: {result.FirstFailure?.Error}");
            var durations = result.Cells.Skip(1).Select(c => (c.End!.Value - c.Start!.Value).TotalMilliseconds).Order().ToList();
            var first = (result.Cells[0].End!.Value - result.Cells[0].Start!.Value).TotalMilliseconds;
            var median = durations[durations.Count / 2];
            var p90 = durations[(int)(durations.Count * 0.9)];
            Console.WriteLine($"first cell (Roslyn warm-up):       {first,8:F1} ms");
            Console.WriteLine($"later cells, median ({Cells - 1} cells):   {median,8:F1} ms   (target ≤ 50 ms)");
            Console.WriteLine($"later cells, 90th percentile:      {p90,8:F1} ms");
            if (median > 50) failures++;

            // Package restore: the first restore of a set runs dotnet restore; the same set again must not.
            var config = PackageRestorer.FindNuGetConfig(AppContext.BaseDirectory);
            var request = new[] { new PackageRequest("Microsoft.Data.Analysis", "0.23.1") };
            var watch = Stopwatch.StartNew();
            var firstRestorer = new PackageRestorer(cache, config);
            firstRestorer.Add(request, []);
            var firstMs = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            var secondRestorer = new PackageRestorer(cache, config);
            var again = secondRestorer.Add(request, [])!;
            var secondMs = watch.Elapsed.TotalMilliseconds;
            Console.WriteLine($"restore, new package set:          {firstMs,8:F0} ms   (dotnet restore runs: {firstRestorer.RestoreCount})");
            Console.WriteLine($"restore, unchanged set (cached):   {secondMs,8:F0} ms   (dotnet restore runs: {secondRestorer.RestoreCount}, target 0)");
            if (secondRestorer.RestoreCount != 0 || !again.FromCache) failures++;
        }
        finally
        {
            Directory.Delete(folder, true);
            Directory.Delete(cache, true);
        }
        return failures;
    }

    private static JsonObject CodeCell(string code) => new()
    {
        ["cell_type"] = "code",
        ["execution_count"] = null,
        ["metadata"] = new JsonObject(),
        ["outputs"] = new JsonArray(),
        ["source"] = NotebookDocument.ToLines(code),
    };

    private static string Save(string folder, string name, JsonArray cells)
    {
        var root = new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = new JsonObject { ["kernelspec"] = new JsonObject { ["name"] = ".net-csharp" } },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 4,
        };
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, NotebookDocument.Serialize(root));
        return path;
    }
}
