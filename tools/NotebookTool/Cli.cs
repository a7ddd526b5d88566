using System.Globalization;

namespace DeepVision.NotebookTool;

/// <summary>The command line of tools/notebooks.cs (its header says what each command does).</summary>
public static class Cli
{
    private const string UsageText = """
        usage: dotnet run tools/notebooks.cs -- run [--engine dotnet-repl|jupyter] [--profile quick|full|gpu] [--timeout SECONDS] [--out DIR] [notebook.ipynb...]
               dotnet run tools/notebooks.cs -- check executed.ipynb...
               dotnet run tools/notebooks.cs -- prepare --profile quick|full|gpu notebook.ipynb copy.ipynb
               dotnet run tools/notebooks.cs -- record [--profile quick|full|gpu] [--timeout SECONDS] [notebook.ipynb...]
               dotnet run tools/notebooks.cs -- verify [notebook.ipynb...]
        """;

    /// <summary>Exit codes: 0 all well, 1 a usage error, 2 a notebook failed or could not be run.</summary>
    public static int Main(string[] args)
    {
        try
        {
            var repo = Repo.Find();
            return args switch
            {
                ["run", .. var rest] => Run(repo, Options.Parse(repo, rest, TimeSpan.FromMinutes(10))),
                ["check", .. var files] when files.Length > 0 => Check(files),
                ["prepare", "--profile", var profile, var input, var output] => Prepare(profile, input, output),
                ["record", .. var rest] => Record(repo, Options.Parse(repo, rest, TimeSpan.FromHours(3))),
                ["verify", .. var files] => Verify(repo, files),
                _ => Usage(),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"notebooks: {e.Message}");
            return 1;
        }
        catch (NotebookException e)
        {
            Console.Error.WriteLine($"notebooks: {e.Message}");
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine(UsageText);
        return 1;
    }

    /// <summary>The options of run and record. <see cref="Profile"/> is null when none was given.</summary>
    public sealed record Options(EngineKind Engine, string? Profile, TimeSpan Timeout, string OutDir, IReadOnlyList<string> Inputs)
    {
        public static Options Parse(Repo repo, string[] rest, TimeSpan defaultTimeout)
        {
            var engine = EngineKind.DotnetRepl;
            string? profile = null;
            var timeout = defaultTimeout;
            var outDir = repo.DefaultOut;
            var inputs = new List<string>();
            for (var i = 0; i < rest.Length; i++)
            {
                string Value() => i + 1 < rest.Length ? rest[++i] : throw new UsageException($"{rest[i]} needs a value");
                switch (rest[i])
                {
                    case "--engine": engine = Engines.Parse(Value()); break;
                    case "--profile": profile = Value(); break;
                    case "--timeout":
                        timeout = double.TryParse(Value(), CultureInfo.InvariantCulture, out var s) && s > 0
                            ? TimeSpan.FromSeconds(s) : throw new UsageException("--timeout takes a number of seconds above 0");
                        break;
                    case "--out": outDir = Path.GetFullPath(Value()); break;
                    default:
                        if (rest[i].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option {rest[i]}");
                        inputs.Add(Path.GetFullPath(rest[i]));
                        break;
                }
            }
            if (inputs.Count == 0) inputs.AddRange(repo.CourseNotebooks());
            foreach (var input in inputs)
                if (!File.Exists(input)) throw new UsageException($"{input}: no such notebook");
            return new Options(engine, profile, timeout, outDir, inputs);
        }
    }

    /// <summary>run: each notebook executed and checked, its executed copy in the out folder, a table and a JSON summary.</summary>
    private static int Run(Repo repo, Options options)
    {
        var profile = options.Profile ?? "quick";
        var engine = Engines.Create(options.Engine, repo);
        Directory.CreateDirectory(options.OutDir);
        var runs = new List<NotebookRun>();
        foreach (var input in options.Inputs)
        {
            var run = NotebookRunner.Run(input, profile, options.Timeout, engine, Console.Out);
            if (run.Executed is { } executed) Ipynb.Save(Path.Combine(options.OutDir, run.Name), executed);
            runs.Add(run);
        }
        var summary = RunSummary.Of(engine, profile, runs);
        summary.WriteTo(options.OutDir);
        Console.WriteLine();
        Console.Write(summary.Table());
        Console.WriteLine($"\nnotebooks: {summary.Passed} passed, {summary.Failed} failed ({profile} profile{(options.Engine == EngineKind.DotnetRepl ? "" : ", " + engine.Name)}, executed copies in {repo.Relative(options.OutDir)}/)");
        return summary.Failed == 0 ? 0 : 2;
    }

    /// <summary>record: only through dotnet-repl, the kernel learners run.</summary>
    private static int Record(Repo repo, Options options)
    {
        if (options.Engine != EngineKind.DotnetRepl) throw new UsageException("record runs dotnet-repl only");
        return Recorder.Record(options.Inputs, options.Profile, options.Timeout, new DotnetReplEngine(repo), Console.Out) == 0 ? 0 : 2;
    }

    /// <summary>prepare: the copy with the injected parameters that run executes (for another executor).</summary>
    private static int Prepare(string profile, string input, string output)
    {
        try
        {
            Ipynb.Save(output, ParameterInjection.Inject(Ipynb.Load(Path.GetFullPath(input)), profile).Notebook);
            return 0;
        }
        catch (NotebookException e)
        {
            Console.Error.WriteLine($"notebooks: {Path.GetFileName(input)}: {e.Message}");
            return 2;
        }
    }

    private static int Check(string[] files)
    {
        var problems = 0;
        foreach (var file in files)
        {
            List<string> found;
            try { found = LearnerCheck.Check(Ipynb.Load(file)).Select(p => p.ToString()).ToList(); }
            catch (NotebookException e) { found = [e.Message]; }
            foreach (var p in found) Console.WriteLine($"{file}: {p}");
            problems += found.Count;
        }
        Console.WriteLine(problems == 0 ? $"check: {files.Length} notebook(s), nothing a learner should not see" : $"check: {problems} problem(s)");
        return problems == 0 ? 0 : 2;
    }

    private static int Verify(Repo repo, string[] files)
    {
        var inputs = files.Length > 0 ? files.Select(Path.GetFullPath).ToList() : repo.CourseNotebooks().ToList();
        var problems = new List<string>();
        var recordedCount = 0;
        foreach (var input in inputs)
        {
            var name = Path.GetFileName(input);
            System.Text.Json.Nodes.JsonObject notebook;
            try { notebook = Ipynb.Load(input); }
            catch (NotebookException e) { problems.Add(e.Message); continue; }
            if (DeepVisionMetadata.Recorded(notebook) is not null) recordedCount++;
            problems.AddRange(Verifier.VerifyRecording(notebook, name).Select(p => $"{name}: {p}"));
        }
        if (files.Length == 0) problems.AddRange(Verifier.VerifyReadme(repo));
        foreach (var p in problems) Console.WriteLine(p);
        Console.WriteLine(problems.Count == 0
            ? $"verify: {inputs.Count} notebook(s), {recordedCount} with recorded outputs, all current and backing their stated results"
            : $"verify: {problems.Count} problem(s)");
        return problems.Count == 0 ? 0 : 2;
    }
}
