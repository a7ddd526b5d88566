using System.Text.Json.Nodes;
using System.Xml.Linq;
using DeepVision.Runner.Execution;

namespace DeepVision.Runner.Reporting;

/// <summary>Visual Studio test results (TRX) for CI systems: one test per code cell.</summary>
public static class TrxWriter
{
    private static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
    private const string UnitTestType = "13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b";
    private const string ResultsNotInAList = "8c84fa94-04c1-424b-9868-57a2d4851a1d";
    private const string AllLoadedResults = "19431567-8539-422a-85d7-44ee4e166bda";

    public static XDocument Build(IReadOnlyList<NotebookResult> results)
    {
        var runStart = results.SelectMany(r => r.Cells).Select(c => c.Start).Where(s => s is not null).DefaultIfEmpty(DateTimeOffset.Now).Min()!.Value;
        var runEnd = results.SelectMany(r => r.Cells).Select(c => c.End).Where(s => s is not null).DefaultIfEmpty(DateTimeOffset.Now).Max()!.Value;
        var unitResults = new XElement(Ns + "Results");
        var definitions = new XElement(Ns + "TestDefinitions");
        var entries = new XElement(Ns + "TestEntries");
        int passed = 0, failed = 0, notExecuted = 0;
        foreach (var notebook in results)
        {
            var name = Path.GetFileName(notebook.Notebook.Path);
            foreach (var cell in notebook.Cells.Where(c => c.Status != CellStatus.Markdown))
            {
                var testId = Guid.NewGuid().ToString();
                var executionId = Guid.NewGuid().ToString();
                var testName = $"{name} cell {cell.Number}";
                var outcome = cell.Status switch
                {
                    CellStatus.Succeeded => "Passed",
                    CellStatus.NotRun => "NotExecuted",
                    _ => "Failed",
                };
                if (outcome == "Passed") passed++; else if (outcome == "Failed") failed++; else notExecuted++;
                var output = new XElement(Ns + "Output", new XElement(Ns + "StdOut", StreamText(cell.Outputs)));
                if (cell.Error is not null)
                    output.Add(new XElement(Ns + "ErrorInfo", new XElement(Ns + "Message", cell.Error)));
                var start = cell.Start ?? runStart;
                var end = cell.End ?? start;
                unitResults.Add(new XElement(Ns + "UnitTestResult",
                    new XAttribute("executionId", executionId), new XAttribute("testId", testId),
                    new XAttribute("testName", testName), new XAttribute("computerName", Environment.MachineName),
                    new XAttribute("duration", (end - start).ToString(@"hh\:mm\:ss\.fffffff")),
                    new XAttribute("startTime", start.ToString("O")), new XAttribute("endTime", end.ToString("O")),
                    new XAttribute("testType", UnitTestType), new XAttribute("outcome", outcome),
                    new XAttribute("testListId", ResultsNotInAList), output));
                definitions.Add(new XElement(Ns + "UnitTest", new XAttribute("name", testName), new XAttribute("storage", notebook.Notebook.Path), new XAttribute("id", testId),
                    new XElement(Ns + "Execution", new XAttribute("id", executionId)),
                    new XElement(Ns + "TestMethod", new XAttribute("codeBase", notebook.Notebook.Path), new XAttribute("adapterTypeName", "executor://deepvision-runner"),
                        new XAttribute("className", name), new XAttribute("name", $"cell {cell.Number}"))));
                entries.Add(new XElement(Ns + "TestEntry", new XAttribute("testId", testId), new XAttribute("executionId", executionId), new XAttribute("testListId", ResultsNotInAList)));
            }
        }
        var total = passed + failed + notExecuted;
        return new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(Ns + "TestRun", new XAttribute("id", Guid.NewGuid().ToString()), new XAttribute("name", "DeepVision notebooks"),
                new XElement(Ns + "Times", new XAttribute("creation", runStart.ToString("O")), new XAttribute("start", runStart.ToString("O")), new XAttribute("finish", runEnd.ToString("O"))),
                unitResults, definitions, entries,
                new XElement(Ns + "TestLists",
                    new XElement(Ns + "TestList", new XAttribute("name", "Results Not in a List"), new XAttribute("id", ResultsNotInAList)),
                    new XElement(Ns + "TestList", new XAttribute("name", "All Loaded Results"), new XAttribute("id", AllLoadedResults))),
                new XElement(Ns + "ResultSummary", new XAttribute("outcome", failed > 0 ? "Failed" : "Completed"),
                    new XElement(Ns + "Counters", new XAttribute("total", total), new XAttribute("executed", passed + failed),
                        new XAttribute("passed", passed), new XAttribute("failed", failed), new XAttribute("notExecuted", notExecuted)))));
    }

    public static void Write(IReadOnlyList<NotebookResult> results, string path)
    {
        var document = Build(results);
        AtomicFile.WriteAllText(path, document.Declaration + "\n" + document.Root);
    }

    private static string StreamText(JsonArray outputs) => string.Concat(outputs.OfType<JsonObject>()
        .Where(o => o["output_type"]?.GetValue<string>() == "stream")
        .SelectMany(o => o["text"]!.AsArray().Select(t => t!.GetValue<string>())));
}
