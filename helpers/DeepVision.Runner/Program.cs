using System.Diagnostics;
using System.Globalization;
using DeepVision.Runner;
using DeepVision.Runner.Execution;
using DeepVision.Runner.Notebooks;
using DeepVision.Runner.Reporting;

return RunnerCommand.Execute(args, Console.Out, Console.Error);

namespace DeepVision.Runner
{
    /// <summary>Parsed command line of the runner.</summary>
    public sealed record RunnerArguments
    {
        public List<string> Notebooks { get; } = [];
        public string? OutputPath { get; set; }
        public string OutputFormat { get; set; } = "ipynb";
        public Dictionary<string, string> Inputs { get; } = new(StringComparer.Ordinal);
        public string? Profile { get; set; }
        public TimeSpan? CellTimeout { get; set; }
        public TimeSpan? Timeout { get; set; }
        public bool KeepGoing { get; set; }
        public string? WorkingDirectory { get; set; }
        public string? WorkerResult { get; set; }
        public bool InProcess { get; set; }
        public bool Help { get; set; }
    }

    /// <summary>A command line that cannot be used; exit code 1.</summary>
    public sealed class UsageException(string message) : Exception(message);

    /// <summary>
    /// The runner's command line: dotnet-repl's automation flags (<c>--run</c>, <c>--exit-after-run</c>,
    /// <c>--output-path</c>, <c>--output-format</c>, <c>--input</c>) plus several notebooks per call, timeouts,
    /// error policy, parameter profiles and a summary table. Exit codes: 0 every cell succeeded, 2 some cell failed,
    /// 1 bad arguments or unreadable input.
    /// </summary>
    public static class RunnerCommand
    {
        public const int Success = 0;
        public const int BadInput = 1;
        public const int CellFailed = 2;

        public const string Usage = """
            Usage: DeepVision.Runner [options] [notebook.ipynb ...]
                   DeepVision.Runner course --repo <root> [--profile quick|full] [options] [notebook ...]

            Executes Polyglot C# notebooks headlessly, as dotnet-repl does, on Roslyn scripting.

            Options (dotnet-repl's):
              --run <notebook>             A notebook to execute (repeatable; bare paths work too).
              --exit-after-run             Accepted for compatibility: the runner always exits after the run.
              --output-path <path>         Write the executed notebook here (a folder when several notebooks run).
              --output-format ipynb|trx    The executed notebook (default), or TRX test results with one test per cell.
              --input <name>=<value>       Override a parameter of the cell tagged 'parameters' (repeatable).
            Options (DeepVision's):
              --profile <name>             Apply a named parameter set from metadata.deepvision.profiles
                                           ('full' with no such set means the parameters cell's own defaults).
              --cell-timeout <seconds>     Stop a cell that runs longer than this.
              --timeout <seconds>          Stop a notebook that runs longer than this.
              --stop-on-error              Stop a notebook at its first failing cell (default).
              --keep-going                 Run the remaining cells after a failure.
              --working-dir <folder>       Working directory while a notebook runs (default: the notebook's folder).
              --in-process                 Run notebooks in this process instead of one worker process each.
              --help                       This message.
            The 'course' verb runs notebooks/*.ipynb of the repository (or the ones named) in the quick profile by
            default and writes the executed copies to artifacts/notebooks/.

            Exit codes: 0 every cell succeeded; 2 some cell failed; 1 bad arguments or unreadable input.
            """;

        public static int Execute(string[] args, TextWriter stdout, TextWriter stderr)
        {
            RunnerArguments options;
            try
            {
                options = args.Length > 0 && args[0] == "course" ? ParseCourse(args[1..]) : Parse(args);
            }
            catch (UsageException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                stderr.WriteLine();
                stderr.WriteLine(Usage);
                return BadInput;
            }
            if (options.Help)
            {
                stdout.WriteLine(Usage);
                return Success;
            }
            if (options.Notebooks.Count == 0)
            {
                stdout.WriteLine("No notebook to execute.");
                return Success;
            }
            return options.WorkerResult is not null ? RunWorker(options, stdout, stderr) : RunAll(options, stdout, stderr);
        }

        public static RunnerArguments Parse(IReadOnlyList<string> args)
        {
            var options = new RunnerArguments();
            for (var i = 0; i < args.Count; i++)
            {
                var arg = args[i];
                string Value()
                {
                    if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                        throw new UsageException($"{arg} needs a value.");
                    return args[++i];
                }
                switch (arg)
                {
                    case "--run": options.Notebooks.Add(Value()); break;
                    case "--exit-after-run": break;
                    case "--output-path": options.OutputPath = Value(); break;
                    case "--output-format":
                        options.OutputFormat = Value();
                        if (options.OutputFormat is not ("ipynb" or "trx"))
                            throw new UsageException($"--output-format must be ipynb or trx, not '{options.OutputFormat}'.");
                        break;
                    case "--input":
                        var input = Value();
                        var eq = input.IndexOf('=');
                        if (eq <= 0) throw new UsageException($"--input takes name=value, not '{input}'.");
                        options.Inputs[input[..eq].Trim()] = input[(eq + 1)..];
                        break;
                    case "--profile": options.Profile = Value(); break;
                    case "--cell-timeout": options.CellTimeout = Seconds(arg, Value()); break;
                    case "--timeout": options.Timeout = Seconds(arg, Value()); break;
                    case "--stop-on-error": options.KeepGoing = false; break;
                    case "--keep-going": options.KeepGoing = true; break;
                    case "--working-dir": options.WorkingDirectory = Value(); break;
                    case "--worker-result": options.WorkerResult = Value(); break;
                    case "--in-process": options.InProcess = true; break;
                    case "--help" or "-h": options.Help = true; break;
                    default:
                        if (arg.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option '{arg}'.");
                        options.Notebooks.Add(arg);
                        break;
                }
            }
            if (options.Notebooks.Count > 1 && options.OutputPath is not null && options.OutputFormat == "ipynb"
                && !Directory.Exists(options.OutputPath) && !EndsWithSeparator(options.OutputPath))
                throw new UsageException($"--output-path {options.OutputPath} must be a folder (end it with '/') when several notebooks run.");
            if (options.WorkingDirectory is not null && !Directory.Exists(options.WorkingDirectory))
                throw new UsageException($"--working-dir {options.WorkingDirectory} does not exist.");
            return options;
        }

        private static RunnerArguments ParseCourse(IReadOnlyList<string> args)
        {
            var rest = new List<string>();
            string? repo = null;
            for (var i = 0; i < args.Count; i++)
            {
                if (args[i] == "--repo")
                {
                    if (i + 1 >= args.Count) throw new UsageException("--repo needs a value.");
                    repo = args[++i];
                }
                else rest.Add(args[i]);
            }
            if (repo is null) throw new UsageException("course needs --repo <repository root>.");
            var options = Parse(rest);
            options.Profile ??= "quick";
            if (options.Notebooks.Count == 0)
                options.Notebooks.AddRange(Directory.EnumerateFiles(Path.Combine(repo, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal));
            options.OutputPath ??= Path.Combine(repo, "artifacts", "notebooks") + Path.DirectorySeparatorChar;
            return options;
        }

        private static bool EndsWithSeparator(string path) =>
            path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar);

        private static TimeSpan Seconds(string option, string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
                ? TimeSpan.FromSeconds(s)
                : throw new UsageException($"{option} takes a positive number of seconds, not '{text}'.");

        private static NotebookRunOptions RunOptions(RunnerArguments a) => new()
        {
            Inputs = a.Inputs,
            Profile = a.Profile,
            CellTimeout = a.CellTimeout,
            Timeout = a.Timeout,
            KeepGoing = a.KeepGoing,
            WorkingDirectory = a.WorkingDirectory is null ? null : Path.GetFullPath(a.WorkingDirectory),
        };

        /// <summary>Worker mode: one notebook in this process, its result written for the parent.</summary>
        private static int RunWorker(RunnerArguments options, TextWriter stdout, TextWriter stderr)
        {
            try
            {
                var notebook = NotebookDocument.Load(options.Notebooks.Single());
                var result = new NotebookExecutor(stdout, stderr).Run(notebook, RunOptions(options));
                WorkerResult.Save(result, options.WorkerResult!);
                return result.Succeeded ? Success : CellFailed;
            }
            catch (Exception e) when (e is NotebookFormatException or ParameterException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return BadInput;
            }
        }

        private sealed record Outcome(string Notebook, string Status, TimeSpan Elapsed, IReadOnlyList<string> KeyResults, int ExitCode, NotebookResult? Result);

        private static int RunAll(RunnerArguments options, TextWriter stdout, TextWriter stderr)
        {
            var outcomes = new List<Outcome>();
            foreach (var path in options.Notebooks)
            {
                var watch = Stopwatch.StartNew();
                NotebookDocument notebook;
                try { notebook = NotebookDocument.Load(path); }
                catch (NotebookFormatException e)
                {
                    stderr.WriteLine($"error: {e.Message}");
                    outcomes.Add(new Outcome(path, "unreadable", watch.Elapsed, [], BadInput, null));
                    continue;
                }
                stderr.WriteLine($"[runner] {path}: {notebook.Cells.Count(c => c.IsCode)} code cells" + (options.Profile is null ? "" : $", profile {options.Profile}"));
                var (result, exitCode, message) = options.InProcess ? RunInProcess(notebook, options, stdout, stderr) : RunInWorker(notebook, options, stderr);
                if (result is not null && options.OutputPath is not null && options.OutputFormat == "ipynb")
                {
                    var target = options.Notebooks.Count > 1 || Directory.Exists(options.OutputPath) || EndsWithSeparator(options.OutputPath)
                        ? Path.Combine(options.OutputPath, Path.GetFileName(notebook.Path))
                        : options.OutputPath;
                    ExecutedNotebookWriter.Write(result, target);
                    stderr.WriteLine($"[runner] wrote {target}");
                }
                var status = message ?? (result!.Succeeded ? "ok" : DescribeFailure(result));
                outcomes.Add(new Outcome(path, status, watch.Elapsed, result?.KeyResults ?? [], exitCode, result));
                if (exitCode != Success && !options.KeepGoing && options.Notebooks.Count > 1)
                    stderr.WriteLine("[runner] a notebook failed; going on with the next one (each notebook stops at its own first failure).");
            }
            if (options.OutputPath is not null && options.OutputFormat == "trx")
            {
                TrxWriter.Write(outcomes.Where(o => o.Result is not null).Select(o => o.Result!).ToList(), options.OutputPath);
                stderr.WriteLine($"[runner] wrote {options.OutputPath}");
            }
            PrintTable(outcomes, stdout);
            return outcomes.Any(o => o.ExitCode == BadInput) ? BadInput
                : outcomes.Any(o => o.ExitCode != Success) ? CellFailed
                : Success;
        }

        private static string DescribeFailure(NotebookResult result)
        {
            var failure = result.FirstFailure!;
            var what = failure.Status == CellStatus.TimedOut ? "timed out" : "failed";
            return $"cell {failure.Number} {what}";
        }

        private static (NotebookResult?, int, string?) RunInProcess(NotebookDocument notebook, RunnerArguments options, TextWriter stdout, TextWriter stderr)
        {
            try
            {
                var result = new NotebookExecutor(stdout, stderr).Run(notebook, RunOptions(options));
                return (result, result.Succeeded ? Success : CellFailed, null);
            }
            catch (ParameterException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return (null, BadInput, "bad parameters");
            }
        }

        /// <summary>One process per notebook, like one kernel per notebook: a stuck cell dies with its process.</summary>
        private static (NotebookResult?, int, string?) RunInWorker(NotebookDocument notebook, RunnerArguments options, TextWriter stderr)
        {
            var resultPath = Path.Combine(Path.GetTempPath(), $"deepvision-runner-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
            var start = new ProcessStartInfo(Packages.PackageRestorer.DotnetHost());
            start.ArgumentList.Add(typeof(RunnerCommand).Assembly.Location);
            start.ArgumentList.Add("--run");
            start.ArgumentList.Add(notebook.Path);
            start.ArgumentList.Add("--worker-result");
            start.ArgumentList.Add(resultPath);
            foreach (var (name, value) in options.Inputs) { start.ArgumentList.Add("--input"); start.ArgumentList.Add($"{name}={value}"); }
            if (options.Profile is not null) { start.ArgumentList.Add("--profile"); start.ArgumentList.Add(options.Profile); }
            if (options.CellTimeout is { } ct) { start.ArgumentList.Add("--cell-timeout"); start.ArgumentList.Add(ct.TotalSeconds.ToString(CultureInfo.InvariantCulture)); }
            if (options.Timeout is { } t) { start.ArgumentList.Add("--timeout"); start.ArgumentList.Add(t.TotalSeconds.ToString(CultureInfo.InvariantCulture)); }
            if (options.KeepGoing) start.ArgumentList.Add("--keep-going");
            if (options.WorkingDirectory is not null) { start.ArgumentList.Add("--working-dir"); start.ArgumentList.Add(Path.GetFullPath(options.WorkingDirectory)); }
            try
            {
                using var process = Process.Start(start)!;
                // The worker enforces the timeouts itself; this is the backstop for a worker that cannot.
                var limit = options.Timeout is { } total ? total + TimeSpan.FromMinutes(1) : System.Threading.Timeout.InfiniteTimeSpan;
                if (!process.WaitForExit(limit))
                {
                    process.Kill(entireProcessTree: true);
                    return (null, CellFailed, "killed after --timeout");
                }
                if (!File.Exists(resultPath))
                    return (null, process.ExitCode == BadInput ? BadInput : CellFailed,
                        process.ExitCode == BadInput ? "bad parameters" : $"worker crashed (exit code {process.ExitCode})");
                var result = WorkerResult.Load(resultPath, notebook);
                return (result, result.Succeeded ? Success : CellFailed, null);
            }
            finally
            {
                File.Delete(resultPath);
            }
        }

        private static void PrintTable(IReadOnlyList<Outcome> outcomes, TextWriter stdout)
        {
            var rows = outcomes.Select(o => new[]
            {
                Path.GetFileName(o.Notebook), o.Status, $"{o.Elapsed.TotalSeconds:F1}s",
                o.KeyResults.Count == 0 ? "-" : string.Join("; ", o.KeyResults),
            }).ToList();
            string[] header = ["notebook", "status", "time", "key results"];
            var widths = Enumerable.Range(0, 3).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
            string Line(string[] cells) => string.Join("  ", cells.Take(3).Select((c, i) => c.PadRight(widths[i]))) + "  " + cells[3];
            stdout.WriteLine();
            stdout.WriteLine(Line(header));
            stdout.WriteLine(Line(widths.Select(w => new string('-', w)).Append("-----------").ToArray()));
            foreach (var row in rows) stdout.WriteLine(Line(row));
            var failed = outcomes.Count(o => o.ExitCode != Success);
            stdout.WriteLine();
            stdout.WriteLine($"{outcomes.Count - failed} of {outcomes.Count} notebooks succeeded.");
        }
    }
}
