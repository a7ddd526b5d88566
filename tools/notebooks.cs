// Executes the course's notebooks in the real .NET Interactive kernel (dotnet-repl) and checks what learners see.
//
//   dotnet run tools/notebooks.cs -- run [--profile quick|cpu|full] [--timeout SECONDS] [--out DIR] [notebook.ipynb...]
//   dotnet run tools/notebooks.cs -- check executed.ipynb...
//   dotnet run tools/notebooks.cs -- prepare --profile quick notebook.ipynb copy.ipynb
//   dotnet run tools/notebooks.cs -- record [--profile quick|cpu|full] [--timeout SECONDS] [notebook.ipynb...]
//   dotnet run tools/notebooks.cs -- verify [notebook.ipynb...]
//
// run: for each notebook (default: notebooks/*.ipynb), a temporary copy gets the profile's values as a cell tagged
// `injected-parameters` right after the `parameters` cell (papermill's way; `full` injects nothing), dotnet-repl
// executes the copy with notebooks/ as its working directory (the notebooks' relative paths start there), and the
// executed copy, with the source's metadata, tags and execution counts, goes to DIR (default artifacts/notebooks).
// Its outputs are in the order the kernel produced them: printed text (stdout and stderr apart, consecutive writes in
// one stream output, as Jupyter stores them) where it was written among the displays (WithStreamOrder).
// The notebook in notebooks/ is never written. Then the check below runs on it, and a table (notebook, status, time,
// key results: the lines that start with "Result:") ends the run. Exit code 0 when every notebook ran and passed.
//
// prepare: writes the copy with the injected parameters that `run` executes (for another executor: Jupyter).
//
// record: runs each notebook as `run` does, in its recording profile (metadata.deepvision.recording.profile, or
// --profile), and, when it passes, writes the outputs into the notebook in notebooks/ (sources untouched) with
// metadata.deepvision.recorded: profile, parameters, date, machine, TorchSharp and libtorch versions, time and the
// SHA-256 of the code cells. The only command that writes a notebook in notebooks/.
//
// verify: for every notebook (default notebooks/*.ipynb) that carries outputs: they come from a recording whose code
// hash and parameters are the notebook's current ones, they pass the check below, and every figure the summary states
// in bold appears in them; every bold figure of the README's results table appears in its notebook's outputs.
//
// check: fails on what a learner should never see: an error output, a rich object shown as its plain-text type name,
// a `<null>`, a compiler diagnostic, a cell that draws a chart but shows none.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

var repoRoot = FindRepoRoot();
try
{
    return args switch
    {
        ["run", .. var rest] => Run(rest),
        ["check", .. var files] when files.Length > 0 => CheckFiles(files),
        ["prepare", "--profile", var profile, var input, var output] => Prepare(profile, input, output),
        ["record", .. var rest] => Record(rest),
        ["verify", .. var files] => Verify(files),
        _ => Usage(),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"notebooks: {e.Message}");
    return 1;
}

int Usage()
{
    Console.Error.WriteLine("usage: dotnet run tools/notebooks.cs -- run [--profile quick|cpu|full] [--timeout SECONDS] [--out DIR] [notebook.ipynb...]");
    Console.Error.WriteLine("       dotnet run tools/notebooks.cs -- check executed.ipynb...");
    Console.Error.WriteLine("       dotnet run tools/notebooks.cs -- prepare --profile quick|cpu|full notebook.ipynb copy.ipynb");
    Console.Error.WriteLine("       dotnet run tools/notebooks.cs -- record [--profile quick|cpu|full] [--timeout SECONDS] [notebook.ipynb...]");
    Console.Error.WriteLine("       dotnet run tools/notebooks.cs -- verify [notebook.ipynb...]");
    return 1;
}

int Prepare(string profile, string input, string output)
{
    try
    {
        WriteAtomically(output, WithInjectedParameters(Path.GetFullPath(input), profile).Notebook.ToJsonString(JsonOptions));
        return 0;
    }
    catch (NotebookException e)
    {
        Console.Error.WriteLine($"notebooks: {Path.GetFileName(input)}: {e.Message}");
        return 2;
    }
}

(string Profile, TimeSpan Timeout, string OutDir, List<string> Inputs, bool ProfileGiven) Options(string[] rest, TimeSpan defaultTimeout)
{
    var profile = "quick";
    var profileGiven = false;
    var timeout = defaultTimeout;
    var outDir = Path.Combine(repoRoot, "artifacts", "notebooks");
    var inputs = new List<string>();
    for (var i = 0; i < rest.Length; i++)
    {
        string Value() => i + 1 < rest.Length ? rest[++i] : throw new UsageException($"{rest[i]} needs a value");
        switch (rest[i])
        {
            case "--profile": profile = Value(); profileGiven = true; break;
            case "--timeout":
                timeout = double.TryParse(Value(), CultureInfo.InvariantCulture, out var s) && s > 0
                    ? TimeSpan.FromSeconds(s) : throw new UsageException("--timeout takes a number of seconds above 0");
                break;
            case "--out": outDir = Path.GetFullPath(Value()); break;
            default:
                if (rest[i].StartsWith("--")) throw new UsageException($"unknown option {rest[i]}");
                inputs.Add(Path.GetFullPath(rest[i]));
                break;
        }
    }
    if (inputs.Count == 0) inputs.AddRange(CourseNotebooks());
    foreach (var input in inputs)
        if (!File.Exists(input)) throw new UsageException($"{input}: no such notebook");
    return (profile, timeout, outDir, inputs, profileGiven);
}

IEnumerable<string> CourseNotebooks() => Directory.GetFiles(Path.Combine(repoRoot, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal);

int Run(string[] rest)
{
    var (profile, timeout, outDir, inputs, _) = Options(rest, TimeSpan.FromMinutes(10));
    Directory.CreateDirectory(outDir);
    var rows = new List<(string Name, string Status, TimeSpan Time, string Results)>();
    foreach (var input in inputs)
    {
        var execution = Execute1(input, profile, timeout);
        if (execution.Executed is { } executed) WriteAtomically(Path.Combine(outDir, Path.GetFileName(input)), executed.ToJsonString(JsonOptions) + "\n");
        rows.Add((Path.GetFileName(input), execution.Status, execution.Time, execution.Results));
    }

    var table = new StringBuilder();
    table.AppendLine($"| notebook | status | time | key results ({profile} profile) |").AppendLine("|---|---|---|---|");
    foreach (var r in rows) table.AppendLine($"| {r.Name} | {r.Status} | {r.Time.TotalSeconds:F0} s | {r.Results.Replace("|", "\\|")} |");
    File.WriteAllText(Path.Combine(outDir, $"summary-{profile}.md"), table.ToString());
    Console.WriteLine();
    Console.Write(table);
    var failed = rows.Count(r => r.Status != "passed");
    Console.WriteLine($"\nnotebooks: {rows.Count - failed} passed, {failed} failed ({profile} profile, executed copies in {Path.GetRelativePath(repoRoot, outDir)}/)");
    return failed == 0 ? 0 : 2;
}

// One notebook through dotnet-repl in a profile: the executed copy (with the source's metadata and
// metadata.deepvision.execution), its status, time and Result: lines. The source is not written.
(JsonObject? Executed, string Status, TimeSpan Time, string Results, JsonObject Parameters) Execute1(string input, string profile, TimeSpan timeout)
{
    var name = Path.GetFileName(input);
    var workDir = Path.Combine(repoRoot, "artifacts", "notebook-runs");
    Directory.CreateDirectory(workDir);
    Console.WriteLine($"── {name} ({profile} profile)");
    var watch = Stopwatch.StartNew();
    string status;
    var results = "";
    JsonObject? executed = null;
    var parameters = new JsonObject();
    try
    {
        (var notebook, parameters) = WithInjectedParameters(input, profile);
        var copy = Path.Combine(workDir, name);
        var raw = Path.Combine(workDir, Path.GetFileNameWithoutExtension(name) + ".repl.ipynb");
        File.Delete(raw);
        WriteAtomically(copy, WithStreamOrder(notebook).ToJsonString(JsonOptions));
        var (exitCode, timedOut, log) = Execute(copy, raw, timeout);
        if (!File.Exists(raw))
        {
            status = timedOut ? $"timed out after {timeout.TotalSeconds:F0} s" : $"dotnet-repl failed (exit {exitCode})";
            Console.WriteLine(Tail(log, 4000));
        }
        else
        {
            executed = Merge(notebook, JsonNode.Parse(File.ReadAllText(raw))!.AsObject());
            var problems = Check(executed);
            results = string.Join("; ", ResultLines(executed).Select(l => l["Result:".Length..].Trim()));
            status = timedOut ? $"timed out after {timeout.TotalSeconds:F0} s"
                : problems.Count > 0 ? $"failed: {problems.Count} problem{(problems.Count == 1 ? "" : "s")}"
                : exitCode != 0 ? $"failed (dotnet-repl exit {exitCode})" : "passed";
            foreach (var p in problems) Console.WriteLine($"   {name}: {p}");
            var metadata = executed["metadata"] as JsonObject ?? (JsonObject)(executed["metadata"] = new JsonObject());
            var deepvision = metadata["deepvision"] as JsonObject ?? (JsonObject)(metadata["deepvision"] = new JsonObject());
            deepvision["execution"] = new JsonObject
            {
                ["executor"] = $"dotnet-repl {ToolVersion("dotnet-repl")}",
                ["profile"] = profile,
                ["parameters"] = parameters.DeepClone(),
                ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1),
                ["status"] = status,
            };
            if (status != "passed" && problems.Count == 0) Console.WriteLine(Tail(log, 4000));
        }
    }
    catch (NotebookException e)
    {
        status = "failed: " + e.Message;
        Console.WriteLine($"   {name}: {e.Message}");
    }
    Console.WriteLine($"   {status}, {watch.Elapsed.TotalSeconds:F0} s");
    return (executed, status, watch.Elapsed, results, parameters);
}

// record: each notebook in its recording profile; a passing run's outputs are written into the source notebook.
int Record(string[] rest)
{
    var (givenProfile, timeout, _, inputs, profileGiven) = Options(rest, TimeSpan.FromHours(3));
    var failed = 0;
    foreach (var input in inputs)
    {
        var name = Path.GetFileName(input);
        var source = ParseNotebook(input);
        var profile = profileGiven ? givenProfile : (string?)source["metadata"]?["deepvision"]?["recording"]?["profile"] ?? "full";
        var (executed, status, time, results, parameters) = Execute1(input, profile, timeout);
        if (executed is null || status != "passed")
        {
            Console.WriteLine($"   {name}: not recorded ({status}); the notebook is unchanged");
            failed++;
            continue;
        }
        // The notebook as it is now: prose edited during a long run is kept; changed code means the run is stale.
        var current = ParseNotebook(input);
        if (CodeHash(current) != CodeHash(source))
        {
            Console.WriteLine($"   {name}: not recorded: its code cells changed while it ran; record it again");
            failed++;
            continue;
        }
        JsonObject recorded;
        try { recorded = WithOutputs(current, executed); }
        catch (NotebookException e)
        {
            Console.WriteLine($"   {name}: not recorded: {e.Message} (cells were added or removed while it ran); record it again");
            failed++;
            continue;
        }
        var versions = Regex.Match(AllOutputText(executed), @"TorchSharp ([0-9][0-9.]*), libtorch ([0-9][0-9.]*)");
        var deepvision = recorded["metadata"]!["deepvision"] as JsonObject ?? (JsonObject)(recorded["metadata"]!["deepvision"] = new JsonObject());
        deepvision["recorded"] = new JsonObject
        {
            ["profile"] = profile,
            ["parameters"] = parameters.DeepClone(),
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["machine"] = Machine(),
            ["torchsharp"] = versions.Success ? versions.Groups[1].Value : "unknown",
            ["libtorch"] = versions.Success ? versions.Groups[2].Value : "unknown",
            ["seconds"] = Math.Round(time.TotalSeconds, 1),
            ["executor"] = $"dotnet-repl {ToolVersion("dotnet-repl")}",
            ["codeHash"] = CodeHash(current),
        };
        WriteAtomically(input, recorded.ToJsonString(JsonOptions) + "\n");
        Console.WriteLine($"   {name}: recorded ({profile} profile, {time.TotalMinutes:F1} min){(results.Length > 0 ? ": " + results : "")}");
    }
    Console.WriteLine($"\nrecord: {inputs.Count - failed} recorded, {failed} not");
    return failed == 0 ? 0 : 2;
}

// The source notebook with the executed copy's outputs and execution counts; the injected cell is not carried over.
static JsonObject WithOutputs(JsonObject source, JsonObject executed)
{
    var result = (JsonObject)source.DeepClone();
    var executedCells = executed["cells"]!.AsArray().Where(c => !HasTag(c!, "injected-parameters")).ToList();
    var cells = result["cells"]!.AsArray();
    if (executedCells.Count != cells.Count) throw new NotebookException($"the executed copy has {executedCells.Count} cells, the notebook {cells.Count}");
    for (var i = 0; i < cells.Count; i++)
    {
        var cell = cells[i]!.AsObject();
        if ((string?)cell["cell_type"] != "code") continue;
        if (Text(cell["source"]) != Text(executedCells[i]!["source"])) throw new NotebookException($"cell {i + 1} differs between the notebook and its executed copy");
        cell["execution_count"] = executedCells[i]!["execution_count"]?.DeepClone();
        // The kernel's "Loading extensions from /home/…" lines name the recording machine's folders and say nothing.
        cell["outputs"] = new JsonArray(executedCells[i]!["outputs"]!.AsArray()
            .Where(o => !Text(o!["data"]?["text/plain"]).StartsWith("Loading extensions from ", StringComparison.Ordinal))
            .Select(o => o!.DeepClone()).ToArray());
    }
    return result;
}

// SHA-256 of the code cells' sources, in order (line endings normalized): any change of code changes it.
static string CodeHash(JsonObject notebook)
{
    var text = string.Join("\n\u0000\n", notebook["cells"]!.AsArray()
        .Where(c => (string?)c!["cell_type"] == "code" && !HasTag(c!, "injected-parameters"))
        .Select(c => Text(c!["source"]).Replace("\r\n", "\n")));
    return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

static JsonObject Machine()
{
    var cpu = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
        cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
    return new JsonObject
    {
        ["cpu"] = cpu,
        ["cores"] = Environment.ProcessorCount,
        ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
    };
}

static string AllOutputText(JsonObject notebook) => string.Join("\n", notebook["cells"]!.AsArray()
    .SelectMany(c => c!["outputs"]?.AsArray() ?? [])
    .SelectMany(o => new[] { Text(o!["text"]) }.Concat((o["data"] as JsonObject)?.Where(d => d.Key.StartsWith("text/")).Select(d => Text(d.Value)) ?? [])));

// verify: recorded outputs are current, clean, and back every bold figure of the summary and the README.
int Verify(string[] files)
{
    var inputs = files.Length > 0 ? files.Select(Path.GetFullPath).ToList() : CourseNotebooks().ToList();
    var problems = new List<string>();
    var recordedCount = 0;
    foreach (var input in inputs)
    {
        var name = Path.GetFileName(input);
        JsonObject notebook;
        try { notebook = ParseNotebook(input); }
        catch (NotebookException e) { problems.Add(e.Message); continue; }
        var found = VerifyRecording(notebook, name);
        if (notebook["metadata"]?["deepvision"]?["recorded"] is not null) recordedCount++;
        problems.AddRange(found.Select(p => $"{name}: {p}"));
    }
    if (files.Length == 0) problems.AddRange(VerifyReadme());
    foreach (var p in problems) Console.WriteLine(p);
    Console.WriteLine(problems.Count == 0
        ? $"verify: {inputs.Count} notebook(s), {recordedCount} with recorded outputs, all current and backing their stated results"
        : $"verify: {problems.Count} problem(s)");
    return problems.Count == 0 ? 0 : 2;
}

List<string> VerifyRecording(JsonObject notebook, string name)
{
    var problems = new List<string>();
    var recorded = notebook["metadata"]?["deepvision"]?["recorded"] as JsonObject;
    var hasOutputs = notebook["cells"]!.AsArray().Any(c => (c!["outputs"] as JsonArray)?.Count > 0);
    if (recorded is null)
    {
        if (hasOutputs) problems.Add("has outputs but no recording (metadata.deepvision.recorded): clear them, or run ./build.sh record notebooks/" + name);
        return problems;
    }
    var fix = $"run ./build.sh record notebooks/{name}";
    if ((string?)recorded["codeHash"] != CodeHash(notebook)) problems.Add($"its code cells changed since the recording of {(string?)recorded["date"]}: the stored outputs are stale; {fix}");
    var profile = (string?)recorded["profile"] ?? "?";
    var expected = profile == "full" ? new JsonObject() : notebook["metadata"]?["deepvision"]?["profiles"]?[profile] as JsonObject ?? new JsonObject();
    if (!JsonNode.DeepEquals(expected, recorded["parameters"])) problems.Add($"its '{profile}' profile changed since the recording; {fix}");
    foreach (var key in new[] { "date", "machine", "torchsharp", "libtorch", "seconds" })
        if (recorded[key] is null) problems.Add($"the recording lacks '{key}'");
    if (!notebook["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").All(c => c!["execution_count"] is not null))
        problems.Add($"some code cells did not run in the recording; {fix}");
    problems.AddRange(Check(notebook));
    var outputs = Normalize(AllOutputText(notebook));
    var summary = notebook["cells"]!.AsArray().Select(c => Text(c!["source"])).LastOrDefault(t => t.Contains("## Summary")) ?? "";
    foreach (var figure in BoldFigures(summary[..Math.Max(0, summary.IndexOf("## Exercises", StringComparison.Ordinal) is var e and >= 0 ? e : summary.Length)]))
        if (!outputs.Contains(Normalize(figure))) problems.Add($"its summary states **{figure}**, which its stored outputs do not show");
    return problems;
}

// Every bold figure in the README's results table appears in its notebook's stored outputs (which must be recorded).
List<string> VerifyReadme()
{
    var problems = new List<string>();
    var readme = Path.Combine(repoRoot, "README.md");
    if (!File.Exists(readme)) return problems;
    foreach (var line in File.ReadLines(readme).Where(l => Regex.IsMatch(l, @"^\| \d\d \| \[")))
    {
        var link = Regex.Match(line, @"\((notebooks/[^)]+\.ipynb)\)");
        if (!link.Success) continue;
        var path = Path.Combine(repoRoot, link.Groups[1].Value);
        var figures = BoldFigures(line.Split('|').Reverse().Skip(1).First()).ToList();
        if (figures.Count == 0) continue;
        if (!File.Exists(path)) { problems.Add($"README.md: {link.Groups[1].Value} does not exist"); continue; }
        var notebook = ParseNotebook(path);
        if (notebook["metadata"]?["deepvision"]?["recorded"] is null)
        {
            problems.Add($"README.md: the results of {Path.GetFileName(path)} are stated in bold, but the notebook carries no recorded outputs to back them");
            continue;
        }
        var outputs = Normalize(AllOutputText(notebook));
        foreach (var figure in figures)
            if (!outputs.Contains(Normalize(figure))) problems.Add($"README.md: the row of {Path.GetFileName(path)} states **{figure}**, which the notebook's stored outputs do not show");
    }
    return problems;
}

// The figures set in bold (**98.63%**, **0.68M**): the results a text claims for the run, as opposed to quoted ones.
static IEnumerable<string> BoldFigures(string markdown) =>
    Regex.Matches(markdown, @"\*\*([^*]+)\*\*").SelectMany(m => Regex.Matches(m.Groups[1].Value, @"(?<![A-Za-z0-9_.])[0-9][0-9,]*(?:\.[0-9]+)?\s?%?").Select(f => f.Value.Trim()))
        .Where(f => f.Any(char.IsDigit));

// Outputs write "98.63 %" (.NET's percent format) where prose writes "98.63%"; thousands separators are optional.
static string Normalize(string text) => Regex.Replace(text.Replace("\u00a0", " "), @"(\d) %", "$1%").Replace(",", "");

// The source notebook with a cell tagged `injected-parameters` after its `parameters` cell, and the values injected.
(JsonObject Notebook, JsonObject Parameters) WithInjectedParameters(string path, string profile)
{
    var notebook = ParseNotebook(path);
    var name = Path.GetFileName(path);
    if (profile == "full") return (notebook, new JsonObject());
    var values = notebook["metadata"]?["deepvision"]?["profiles"]?[profile] as JsonObject
        ?? throw new NotebookException($"it has no '{profile}' profile (metadata.deepvision.profiles.{profile}); use one it has, or 'full' for the parameters cell's own values");
    var cells = notebook["cells"]!.AsArray();
    var index = cells.Select((c, i) => (c, i)).Where(x => HasTag(x.c!, "parameters")).Select(x => x.i).DefaultIfEmpty(-1).First();
    if (index < 0) throw new NotebookException("it has no code cell tagged 'parameters' to inject the profile after");
    var source = new StringBuilder($"// Injected by tools/notebooks.cs: the '{profile}' profile.\n");
    foreach (var (key, value) in values)
    {
        if (!Regex.IsMatch(key, "^[A-Za-z_][A-Za-z0-9_]*$")) throw new NotebookException($"profile '{profile}': '{key}' is not a C# variable name");
        source.Append(key).Append(" = ").Append(CSharpLiteral(value, $"profile '{profile}', {key}")).Append(";\n");
    }
    var injected = new JsonObject
    {
        ["cell_type"] = "code",
        ["execution_count"] = null,
        ["metadata"] = new JsonObject
        {
            ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
            ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
            ["tags"] = new JsonArray("injected-parameters"),
        },
        ["outputs"] = new JsonArray(),
        // nbformat keeps a cell's source as lines, each but the last ending with "\n".
        ["source"] = new JsonArray(Regex.Split(source.ToString().TrimEnd('\n'), "(?<=\n)").Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
    };
    cells.Insert(index + 1, injected);
    return (notebook, (JsonObject)values.DeepClone());
}

static string CSharpLiteral(JsonNode? value, string what) => value switch
{
    null => "null",
    JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
    JsonValue v when v.TryGetValue<string>(out var s) => SymbolDisplay(s),
    JsonValue v when v.GetValueKind() == JsonValueKind.Number => NumberLiteral(v.ToJsonString()),
    _ => throw new NotebookException($"{what}: only strings, numbers, booleans and null can be injected, not {value.ToJsonString()}"),
};

static string NumberLiteral(string json) =>
    // An integer stays an integer literal (it fits int and double variables); any other number becomes a double.
    Regex.IsMatch(json, "^-?[0-9]+$") ? json : double.Parse(json, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture) is var d && (d.Contains('.') || d.Contains('E')) ? d : d + ".0";

static string SymbolDisplay(string s)
{
    var b = new StringBuilder("\"");
    foreach (var c in s)
        b.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ when char.IsControl(c) => $"\\u{(int)c:x4}", _ => c.ToString() });
    return b.Append('"').ToString();
}

(int ExitCode, bool TimedOut, string Log) Execute(string copy, string output, TimeSpan limit)
{
    var start = new ProcessStartInfo("dotnet")
    {
        // The notebooks' relative paths (#r "../artifacts/…", "../datasets") resolve against the working directory.
        WorkingDirectory = Path.Combine(repoRoot, "notebooks"),
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };
    foreach (var a in new[] { "tool", "run", "dotnet-repl", "--", "--run", copy, "--exit-after-run", "--output-path", output })
        start.ArgumentList.Add(a);
    start.Environment["NO_COLOR"] = "1";
    using var process = Process.Start(start) ?? throw new NotebookException("dotnet could not be started");
    var log = new StringBuilder();
    process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
    process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    if (!process.WaitForExit(limit))
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return (-1, true, log.ToString());
    }
    process.WaitForExit();
    return (process.ExitCode, false, log.ToString());
}

// The executed notebook: the source (with the injected cell) and dotnet-repl's outputs, cell by cell. dotnet-repl drops
// the metadata, tags and execution counts, gathers a cell's printed text into one output after its displays (put back
// in kernel order: StreamsInKernelOrder), and records every update of a display as an output of its own; a live
// viewer shows only the last one, so only the last is kept.
JsonObject Merge(JsonObject source, JsonObject raw)
{
    var result = (JsonObject)source.DeepClone();
    var cells = result["cells"]!.AsArray();
    var rawCells = raw["cells"]!.AsArray().ToList();
    if (rawCells.Count != cells.Count + 1)
        throw new NotebookException($"dotnet-repl's output has {rawCells.Count} cells, the notebook {cells.Count} and the tool's stream-order cell");
    // The first cell is the tool's own (WithStreamOrder); it is not part of the notebook.
    if (rawCells[0]!["outputs"]?.AsArray().FirstOrDefault(o => (string?)o!["output_type"] == "error") is { } broken)
        throw new NotebookException($"the tool's stream-order cell failed in the kernel: {broken["evalue"]}");
    rawCells.RemoveAt(0);
    var count = 0;
    var failedBefore = false;
    for (var i = 0; i < cells.Count; i++)
    {
        var cell = cells[i]!.AsObject();
        if ((string?)cell["cell_type"] != "code") continue;
        // A failure is reported once, at its cause: as nbclient and papermill leave them, the cells after the first
        // failing one are shown unexecuted (dotnet-repl runs them all, so their failures would only echo the first).
        var ran = !failedBefore && rawCells[i]!["metadata"]?["dotnet_repl_cellExecutionStartTime"] is not null;
        cell["execution_count"] = ran ? ++count : null;
        var outputs = ran ? MergeStreams(KeepLastUpdates(StreamsInKernelOrder(rawCells[i]!["outputs"]?.AsArray() ?? [], i + 1))) : [];
        cell["outputs"] = new JsonArray(outputs.Select(o => o.DeepClone()).ToArray());
        failedBefore |= outputs.Any(o => (string?)o["output_type"] == "error");
    }
    return result;
}

// The copy dotnet-repl runs: the tool's stream-order cell first. dotnet-repl keeps a cell's Console.Out and
// Console.Error text aside and writes it as one stdout output after all of the cell's displays, so text printed
// before a chart would show below it. The cell subscribes to the kernel's events and sends every piece of printed
// text again, the moment the kernel produces it, as a display of a type of its own (StreamMarker), which dotnet-repl
// stores in order among the displays; StreamsInKernelOrder turns those back into stream outputs. Jupyter needs none
// of this: it stores stream messages in order.
static JsonObject WithStreamOrder(JsonObject notebook)
{
    var copy = (JsonObject)notebook.DeepClone();
    copy["cells"]!.AsArray().Insert(0, CodeCell(StreamOrderSource, "injected-stream-order"));
    return copy;
}

static JsonObject CodeCell(string source, string tag) => new()
{
    ["cell_type"] = "code",
    ["execution_count"] = null,
    ["metadata"] = new JsonObject
    {
        ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
        ["tags"] = new JsonArray(tag),
    },
    ["outputs"] = new JsonArray(),
    ["source"] = Lines(source),
};

// nbformat keeps a cell's source and a stream's text as lines, each but the last ending with "\n".
static JsonArray Lines(string text) =>
    new(Regex.Split(text, "(?<=\n)").Where(l => l.Length > 0).Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());

// One cell's outputs with the markers of the stream-order cell turned into stream outputs where the kernel produced
// the text, and dotnet-repl's own gathered copy of that text (stdout, then "\n\n" and stderr when both were written)
// removed once it is checked to hold exactly the marked text: nothing printed is lost or shown twice.
static List<JsonNode> StreamsInKernelOrder(JsonArray outputs, int cellNumber)
{
    var result = new List<JsonNode>();
    var stdout = new StringBuilder();
    var stderr = new StringBuilder();
    JsonNode? gathered = null;
    foreach (var output in outputs)
    {
        if (StreamMarker(output) is { } marker)
        {
            var (name, text) = marker;
            (name == "stdout" ? stdout : stderr).Append(text);
            result.Add(new JsonObject { ["name"] = name, ["output_type"] = "stream", ["text"] = Lines(text) });
        }
        else if ((string?)output!["output_type"] == "stream" && gathered is null) gathered = output;
        else result.Add(output!);
    }
    if (gathered is null) return result;
    var expected = stdout.Length > 0 && stderr.Length > 0 ? $"{stdout}\n\n{stderr}" : $"{stdout}{stderr}";
    if (Text(gathered["text"]) != expected)
        throw new NotebookException($"cell {cellNumber}: dotnet-repl's printed text differs from the text the kernel sent in order; the outputs cannot be stored in kernel order");
    return result;
}

static (string Name, string Text)? StreamMarker(JsonNode? output) =>
    output?["data"] is JsonObject { Count: 1 } data && data.First() is var (mime, value)
    && mime.StartsWith(StreamMime, StringComparison.Ordinal) && mime[StreamMime.Length..] is "stdout" or "stderr"
        ? (mime[StreamMime.Length..], Text(value)) : null;

// Consecutive stream outputs of one name as one output, as Jupyter stores them.
static List<JsonNode> MergeStreams(List<JsonNode> outputs)
{
    var merged = new List<JsonNode>();
    foreach (var output in outputs)
    {
        if ((string?)output["output_type"] == "stream" && merged.Count > 0 && merged[^1] is var last
            && (string?)last["output_type"] == "stream" && (string?)last["name"] == (string?)output["name"])
            merged[^1] = new JsonObject { ["name"] = (string?)output["name"], ["output_type"] = "stream", ["text"] = Lines(Text(last["text"]) + Text(output["text"])) };
        else merged.Add(output);
    }
    return merged;
}

static List<JsonNode> KeepLastUpdates(List<JsonNode> outputs)
{
    var kept = new List<JsonNode>();
    var liveAt = new Dictionary<string, int>();
    var installed = outputs.Any(o => Html(o).Contains("<strong>Installed Packages</strong>"));
    foreach (var output in outputs)
    {
        var html = Html(output);
        // The kernel's own package-install display, updated while packages restore: only its final state counts.
        if (installed && html.Contains("<strong>Installing Packages</strong>")) continue;
        var live = Regex.Match(html, "data-deepvision-live=\"([0-9a-f]+)\"");
        if (live.Success && liveAt.TryGetValue(live.Groups[1].Value, out var at)) { kept[at] = output!; continue; }
        if (live.Success) liveAt[live.Groups[1].Value] = kept.Count;
        kept.Add(output!);
    }
    return kept;
}

int CheckFiles(string[] files)
{
    var problems = 0;
    foreach (var file in files)
    {
        List<string> found;
        try { found = Check(ParseNotebook(file)); }
        catch (NotebookException e) { found = [e.Message]; }
        foreach (var p in found) Console.WriteLine($"{file}: {p}");
        problems += found.Count;
    }
    Console.WriteLine(problems == 0 ? $"check: {files.Length} notebook(s), nothing a learner should not see" : $"check: {problems} problem(s)");
    return problems == 0 ? 0 : 2;
}

static List<string> Check(JsonObject notebook)
{
    var problems = new List<string>();
    var typeName = new Regex(@"^(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*(?:`\d+)?(?:\[.*\])?$|^(?:LineChart|ImageGrid|Heatmap|ScatterPlot|ModelSummary|Table)\b");
    var diagnostic = new Regex(@"\b(?:warning|error) CS\d{4}\b|\(\d+,\d+\): (?:warning|error)\b");
    var draws = new Regex(@"\b(?:LineChart|ImageGrid|Heatmap|ScatterPlot)\b");
    var number = 0;
    var afterFailure = false;
    foreach (var cell in notebook["cells"]!.AsArray())
    {
        number++;
        if ((string?)cell!["cell_type"] != "code") continue;
        var where = $"cell {number}";
        var outputs = cell["outputs"]?.AsArray() ?? [];
        var hasPicture = false;
        foreach (var output in outputs)
        {
            var kind = (string?)output!["output_type"];
            if (kind == "error")
            {
                problems.Add($"{where}: error output: {output["ename"]}: {output["evalue"]}");
                continue;
            }
            var texts = new List<string>();
            if (kind == "stream") texts.Add(Text(output["text"]));
            var data = output["data"] as JsonObject;
            if (data is not null)
            {
                foreach (var (mime, value) in data)
                    if (mime.StartsWith("text/")) texts.Add(Text(value));
                var plain = data["text/plain"] is { } p ? Text(p).Trim() : null;
                if (data.Count == 1 && plain is not null && plain == "<null>") problems.Add($"{where}: shows <null>");
                else if (data.Count == 1 && plain is not null && typeName.IsMatch(plain))
                    problems.Add($"{where}: a rich object shown as its type name: {plain}");
                var html = Html(output);
                if (Regex.IsMatch(html.Trim(), @"^(<div[^>]*>)*(<pre>)?&lt;null&gt;(</pre>)?(</div>)*$")) problems.Add($"{where}: shows <null>");
                if (data.ContainsKey("image/png") || data.ContainsKey("image/svg+xml") || html.Contains("<img") || html.Contains("<svg")) hasPicture = true;
            }
            foreach (var text in texts)
                if (diagnostic.Match(text) is { Success: true } m)
                    problems.Add($"{where}: compiler diagnostic in an output: {Line(text, m.Index)}");
        }
        // Cells after a failed one were not run (Merge): they show nothing, and that is the failure's doing, said once.
        if (!afterFailure && draws.IsMatch(Text(cell["source"])) && !hasPicture) problems.Add($"{where}: draws a chart but shows none");
        afterFailure |= outputs.Any(o => (string?)o!["output_type"] == "error");
    }
    return problems;
}

static IEnumerable<string> ResultLines(JsonObject notebook) =>
    notebook["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? [])
        .Where(o => (string?)o!["output_type"] == "stream")
        .SelectMany(o => Text(o!["text"]).Split('\n'))
        .Where(l => l.StartsWith("Result:", StringComparison.Ordinal));

static string Html(JsonNode? output) => output?["data"]?["text/html"] is { } h ? Text(h) : "";

static string Text(JsonNode? node) => node switch
{
    JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
    JsonValue v when v.TryGetValue<string>(out var s) => s,
    _ => "",
};

static string Line(string text, int index)
{
    var start = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
    var end = text.IndexOf('\n', index);
    var line = text[start..(end < 0 ? text.Length : end)];
    return line.Length > 200 ? line[..200] + "…" : line;
}

static string Tail(string log, int length) => log.Length <= length ? log : "…" + log[^length..];

JsonObject ParseNotebook(string path)
{
    try
    {
        return JsonNode.Parse(File.ReadAllText(path)) is JsonObject o && o["cells"] is JsonArray
            ? o : throw new NotebookException($"{path}: not a notebook (no \"cells\" array)");
    }
    catch (JsonException e)
    {
        throw new NotebookException($"{path}: not valid JSON ({e.Message})");
    }
    catch (IOException e)
    {
        throw new NotebookException($"{path}: cannot be read ({e.Message})");
    }
}

static bool HasTag(JsonNode cell, string tag) =>
    (string?)cell["cell_type"] == "code" && cell["metadata"]?["tags"] is JsonArray tags && tags.Any(t => (string?)t == tag);

string ToolVersion(string tool) =>
    JsonNode.Parse(File.ReadAllText(Path.Combine(repoRoot, ".config", "dotnet-tools.json")))?["tools"]?[tool]?["version"]?.GetValue<string>() ?? "?";

static void WriteAtomically(string path, string text)
{
    var temporary = path + ".tmp";
    File.WriteAllText(temporary, text);
    File.Move(temporary, path, overwrite: true);
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "DeepVision.slnx"))) return dir.FullName;
    throw new UsageException("run this from inside the DeepVision repository");
}

partial class Program
{
    // The stream-order cell (WithStreamOrder). Its names are fully qualified and it declares one type, so that it adds
    // no using and no variable that the notebook's own cells could collide with.
    const string StreamOrderSource = $$"""
        // Injected by tools/notebooks.cs for dotnet-repl, and not part of the executed copy: sends every piece of
        // Console.Out and Console.Error text again as a display, in the order the kernel produces it.
        sealed class DeepVisionNotebookToolStreams : System.IObserver<Microsoft.DotNet.Interactive.Events.KernelEvent>
        {
            public void OnNext(Microsoft.DotNet.Interactive.Events.KernelEvent e)
            {
                var name = e is Microsoft.DotNet.Interactive.Events.StandardOutputValueProduced ? "stdout"
                    : e is Microsoft.DotNet.Interactive.Events.StandardErrorValueProduced ? "stderr" : null;
                if (name is null || Microsoft.DotNet.Interactive.KernelInvocationContext.Current is not { } context) return;
                var text = ((Microsoft.DotNet.Interactive.Events.DisplayEvent)e).FormattedValues.FirstOrDefault(v => v.MimeType == "text/plain")?.Value ?? "";
                context.Publish(new Microsoft.DotNet.Interactive.Events.DisplayedValueProduced(text, e.Command,
                    new[] { new Microsoft.DotNet.Interactive.Formatting.FormattedValue("{{StreamMime}}" + name, text) }));
            }
            public void OnError(System.Exception error) { }
            public void OnCompleted() { }
        }
        Microsoft.DotNet.Interactive.Kernel.Root.KernelEvents.Subscribe(new DeepVisionNotebookToolStreams());
        """;

    // The type of the stream-order cell's displays: StreamMime + "stdout" or "stderr".
    const string StreamMime = "application/x.deepvision.stream.";

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, IndentSize = 1, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

sealed class UsageException(string message) : Exception(message);

sealed class NotebookException(string message) : Exception(message);
