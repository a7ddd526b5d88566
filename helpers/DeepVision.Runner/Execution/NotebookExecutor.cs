using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json.Nodes;
using DeepVision.Runner.Notebooks;
using DeepVision.Runner.Packages;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Runner.Execution;

/// <summary>How one notebook is executed.</summary>
public sealed record NotebookRunOptions
{
    /// <summary><c>--input name=value</c> overrides, applied after the cell tagged <c>parameters</c>.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; init; } = new Dictionary<string, string>();

    /// <summary>A named parameter set from the notebook's metadata (<c>metadata.deepvision.profiles</c>).</summary>
    public string? Profile { get; init; }

    public TimeSpan? CellTimeout { get; init; }
    public TimeSpan? Timeout { get; init; }

    /// <summary>Go on with the next cells after a failing cell (dotnet-repl's behaviour); the default stops.</summary>
    public bool KeepGoing { get; init; }

    /// <summary>The process's working directory while the notebook runs; default: the notebook's folder.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Where restored packages are cached; default ~/.cache/deepvision/runner.</summary>
    public string? PackageCache { get; init; }
}

/// <summary>The status of one cell after a run.</summary>
public enum CellStatus { Succeeded, Failed, TimedOut, NotRun, Markdown }

/// <summary>One cell's result: status, outputs as nbformat JSON, execution count and timing.</summary>
public sealed record CellResult(
    int Number,
    CellStatus Status,
    JsonArray Outputs,
    int? ExecutionCount,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    string? Error);

/// <summary>A whole notebook's result.</summary>
public sealed record NotebookResult(NotebookDocument Notebook, IReadOnlyList<CellResult> Cells, TimeSpan Elapsed, string? Profile)
{
    public bool Succeeded => Cells.All(c => c.Status is CellStatus.Succeeded or CellStatus.Markdown);

    /// <summary>Lines a notebook printed that start with "Result:": its key results, for the summary table.</summary>
    public IReadOnlyList<string> KeyResults => Cells
        .SelectMany(c => c.Outputs.OfType<JsonObject>())
        .Where(o => o["output_type"]?.GetValue<string>() == "stream" && o["name"]?.GetValue<string>() == "stdout")
        .SelectMany(o => string.Concat(o["text"]!.AsArray().Select(t => t!.GetValue<string>())).Split('\n'))
        .Select(l => l.Trim())
        .Where(l => l.StartsWith("Result:", StringComparison.Ordinal))
        .Select(l => l["Result:".Length..].Trim())
        .ToList();

    public CellResult? FirstFailure => Cells.FirstOrDefault(c => c.Status is CellStatus.Failed or CellStatus.TimedOut);
}

/// <summary>
/// Executes a notebook's C# cells as chained Roslyn script submissions, with the Polyglot C# kernel's semantics:
/// default usings, hoisted <c>#r "nuget: …"</c>, magics, the display API and trailing-expression values.
/// </summary>
public sealed class NotebookExecutor
{
    /// <summary>The C# kernel's default usings.</summary>
    public static readonly string[] DefaultImports =
        ["System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq"];

    private static readonly MethodInfo? HasReturnValueMethod =
        typeof(Script).GetMethod("HasReturnValue", BindingFlags.NonPublic | BindingFlags.Instance);

    private readonly TextWriter _live;
    private readonly TextWriter _progress;

    public NotebookExecutor(TextWriter live, TextWriter progress)
    {
        _live = live;
        _progress = progress;
    }

    public NotebookResult Run(NotebookDocument notebook, NotebookRunOptions options)
    {
        var session = new Session(this, notebook, options);
        return session.Run();
    }

    private sealed class Session
    {
        private readonly NotebookExecutor _owner;
        private readonly NotebookDocument _notebook;
        private readonly NotebookRunOptions _options;
        private readonly string _notebookFolder;
        private readonly PackageRestorer _restorer;
        private readonly List<MetadataReference> _references = [];
        private readonly HashSet<string> _referencedPaths = new(StringComparer.Ordinal);
        private ScriptState<object>? _state;
        private readonly KernelGlobals _globals = new();
        private int _executionCount;
        private readonly Stopwatch _clock = new();
        private readonly Dictionary<string, int> _cellFiles = new(StringComparer.Ordinal);

        public Session(NotebookExecutor owner, NotebookDocument notebook, NotebookRunOptions options)
        {
            _owner = owner;
            _notebook = notebook;
            _options = options;
            _notebookFolder = Path.GetDirectoryName(notebook.Path)!;
            _restorer = new PackageRestorer(options.PackageCache ?? PackageRestorer.DefaultCacheRoot, PackageRestorer.FindNuGetConfig(_notebookFolder));
            foreach (var path in FrameworkAssemblies().Append(typeof(KernelGlobals).Assembly.Location).Append(typeof(Formatter).Assembly.Location))
                AddReference(path);
        }

        public NotebookResult Run()
        {
            ValidateParameterRequest();
            var previousDirectory = Environment.CurrentDirectory;
            var previousOut = Console.Out;
            var previousError = Console.Error;
            Directory.SetCurrentDirectory(_options.WorkingDirectory ?? _notebookFolder);
            Console.SetOut(new CapturingWriter("stdout", previousOut));
            Console.SetError(new CapturingWriter("stderr", previousError));
            NativeLibraryResolver.Install();
            _clock.Start();
            var results = new List<CellResult>();
            var stopped = false;
            try
            {
                foreach (var cell in _notebook.Cells)
                {
                    if (!cell.IsCode)
                    {
                        results.Add(new CellResult(cell.Number, CellStatus.Markdown, [], null, null, null, null));
                        continue;
                    }
                    if (stopped)
                    {
                        results.Add(new CellResult(cell.Number, CellStatus.NotRun, [], null, null, null, null));
                        continue;
                    }
                    var result = RunCell(cell);
                    results.Add(result);
                    // A timed-out cell is still running on its thread: the notebook's state is unknown, so stop.
                    if (result.Status == CellStatus.TimedOut || (result.Status == CellStatus.Failed && !_options.KeepGoing))
                        stopped = true;
                }
            }
            finally
            {
                Console.SetOut(previousOut);
                Console.SetError(previousError);
                CellContext.Current = null;
                Directory.SetCurrentDirectory(previousDirectory);
            }
            return new NotebookResult(_notebook, results, _clock.Elapsed, _options.Profile);
        }

        private CellResult RunCell(NotebookCell cell)
        {
            var outputs = new CellOutputs();
            var start = DateTimeOffset.Now;
            var count = ++_executionCount;
            CellContext.Current = new CellContext(outputs, _owner._live);
            _owner._progress.WriteLine($"[runner] {Path.GetFileName(_notebook.Path)} cell {cell.Number}/{_notebook.Cells.Count} ({_clock.Elapsed.TotalSeconds:F1}s)");
            CellStatus status;
            string? error = null;
            try
            {
                var kernel = cell.KernelName ?? _notebook.DefaultKernel;
                if (!CellParser.IsCSharp(kernel))
                    throw new DirectiveException(
                        $"Cell {cell.Number} is for the '{kernel}' kernel. The DeepVision runner executes C# only; " +
                        "run this notebook in VS Code Polyglot Notebooks, or make the cell C#.");
                var parsed = CellParser.Parse(cell.Source);
                var watch = Stopwatch.StartNew();
                status = Execute(cell, parsed, outputs);
                if (status == CellStatus.Succeeded && parsed.Time)
                    outputs.AddDisplay(new JsonObject { ["text/plain"] = NotebookDocument.ToLines($"Wall time: {watch.Elapsed.TotalMilliseconds:F0}ms") });
                if (status == CellStatus.Succeeded && cell.HasTag("parameters"))
                    status = ApplyParameters(cell, outputs);
            }
            catch (Exception e) when (e is DirectiveException or PackageRestoreException or NotebookFormatException or ParameterException)
            {
                outputs.AddError(e.Message, [$"Cell {cell.Number}: {e.Message}"]);
                _owner._live.WriteLine($"[runner] cell {cell.Number} failed: {e.Message}");
                status = CellStatus.Failed;
            }
            if (status != CellStatus.Succeeded)
                error = outputs.Items.LastOrDefault(o => o["output_type"]!.GetValue<string>() == "error")?["evalue"]?.GetValue<string>();
            return new CellResult(cell.Number, status, outputs.ToJson(), count, start, DateTimeOffset.Now, error);
        }

        private CellStatus Execute(NotebookCell cell, ParsedCell parsed, CellOutputs outputs)
        {
            var restored = _restorer.Add(parsed.Packages, parsed.PackageSources);
            if (restored is not null)
            {
                foreach (var assembly in restored.Assemblies) AddReference(assembly);
                NativeLibraryResolver.Add(restored.NativeLibraries);
                if (parsed.Packages.Count > 0)
                    outputs.AddDisplay(new JsonObject
                    {
                        ["text/html"] = NotebookDocument.ToLines(
                            "<div><div></div><div></div><div><strong>Installed Packages</strong><ul>" +
                            string.Concat(parsed.Packages.Select(p =>
                                $"<li><span>{System.Net.WebUtility.HtmlEncode(p.Name)}, {System.Net.WebUtility.HtmlEncode(restored.ResolvedVersions.GetValueOrDefault(p.Name) ?? p.Version ?? "")}</span></li>")) +
                            "</ul></div></div>"),
                    });
            }

            foreach (var import in parsed.Imports)
            {
                var status = RunImport(cell, import, outputs);
                if (status != CellStatus.Succeeded) return status;
            }
            if (string.IsNullOrWhiteSpace(parsed.Code)) return CellStatus.Succeeded;
            return Submit(cell, parsed.Code, outputs, displayReturnValue: true);
        }

        private CellStatus RunImport(NotebookCell cell, string import, CellOutputs outputs)
        {
            var path = Path.GetFullPath(import, Environment.CurrentDirectory);
            if (!File.Exists(path))
                throw new DirectiveException($"#!import: the file '{import}' does not exist (looked for {path}).");
            if (path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase))
            {
                var imported = NotebookDocument.Load(path);
                foreach (var importedCell in imported.Cells.Where(c => c.IsCode))
                {
                    if (!CellParser.IsCSharp(importedCell.KernelName ?? imported.DefaultKernel)) continue;
                    var parsed = CellParser.Parse(importedCell.Source);
                    var status = Execute(cell, parsed, outputs);
                    if (status != CellStatus.Succeeded) return status;
                }
                return CellStatus.Succeeded;
            }
            if (path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".csx", StringComparison.OrdinalIgnoreCase))
                return Execute(cell, CellParser.Parse(File.ReadAllText(path)), outputs);
            throw new DirectiveException($"#!import: '{import}' is not a notebook (.ipynb) or C# file (.cs, .csx).");
        }

        private CellStatus Submit(NotebookCell cell, string code, CellOutputs outputs, bool displayReturnValue)
        {
            var filePath = Path.Combine(_notebookFolder, $"{Path.GetFileNameWithoutExtension(_notebook.Path)}.cell{cell.Number}.csx");
            _cellFiles[filePath] = cell.Number;
            var options = ScriptOptions.Default
                .WithReferences(_references)
                .WithImports(DefaultImports)
                .WithLanguageVersion(LanguageVersion.Latest)
                .WithAllowUnsafe(true)
                .WithOptimizationLevel(OptimizationLevel.Release)
                .WithEmitDebugInformation(true)
                .WithFileEncoding(Encoding.UTF8)
                .WithFilePath(filePath)
                .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(_notebookFolder))
                .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(_notebookFolder));

            Task<ScriptState<object>> task;
            try
            {
                task = _state is null
                    ? Task.Run(() => CSharpScript.Create<object>(code, options, typeof(KernelGlobals)).RunAsync(_globals, catchException: _ => true))
                    : Task.Run(() => _state.ContinueWithAsync<object>(code, options, catchException: _ => true));
                var timeout = EffectiveCellTimeout();
                if (!task.Wait(timeout ?? Timeout.InfiniteTimeSpan))
                {
                    var message = $"Cell {cell.Number} did not finish within {FormatSpan(timeout!.Value)} and was stopped " +
                                  $"(raise --cell-timeout or --timeout if it needs longer).";
                    outputs.AddError(message, [message]);
                    _owner._live.WriteLine($"[runner] {message}");
                    return CellStatus.TimedOut;
                }
            }
            catch (AggregateException ae) when (ae.InnerException is CompilationErrorException ce)
            {
                var diagnostics = ce.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
                var evalue = string.Join("\n", diagnostics.Select(FormatDiagnostic));
                outputs.AddError(evalue, diagnostics.Select(d => $"Cell {cell.Number}, {FormatDiagnosticLong(d)}"));
                _owner._live.WriteLine($"[runner] cell {cell.Number} does not compile:\n{evalue}");
                return CellStatus.Failed;
            }

            var state = task.Result;
            _state = state;
            if (state.Exception is { } exception)
            {
                outputs.AddError(exception.ToString(), RuntimeTraceback(cell, exception));
                _owner._live.WriteLine($"[runner] cell {cell.Number} threw {exception.GetType().Name}: {exception.Message}");
                return CellStatus.Failed;
            }
            if (displayReturnValue && HasReturnValue(state.Script))
            {
                var value = state.ReturnValue;
                if (value is not null) CellContext.Require().Display(value, []);
            }
            return CellStatus.Succeeded;
        }

        private TimeSpan? EffectiveCellTimeout()
        {
            TimeSpan? left = _options.Timeout is { } total ? total - _clock.Elapsed : null;
            if (left is { } l && l < TimeSpan.Zero) left = TimeSpan.Zero;
            return (_options.CellTimeout, left) switch
            {
                (null, null) => null,
                ({ } c, null) => c,
                (null, { } r) => r,
                ({ } c, { } r) => c < r ? c : r,
            };
        }

        private static string FormatSpan(TimeSpan span) =>
            span.TotalSeconds < 60 ? $"{span.TotalSeconds:0.#} s" : $"{span.TotalMinutes:0.#} min";

        private static bool HasReturnValue(Script script) =>
            HasReturnValueMethod is not null ? (bool)HasReturnValueMethod.Invoke(script, null)! : true;

        private static string FormatDiagnostic(Diagnostic d)
        {
            var span = d.Location.GetLineSpan();
            return $"({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage()}";
        }

        private static string FormatDiagnosticLong(Diagnostic d)
        {
            var span = d.Location.GetLineSpan();
            return $"line {span.StartLinePosition.Line + 1}, column {span.StartLinePosition.Character + 1}: error {d.Id}: {d.GetMessage()}";
        }

        private IEnumerable<string> RuntimeTraceback(NotebookCell cell, Exception exception)
        {
            var lines = new List<string> { $"{exception.GetType().FullName}: {exception.Message}" };
            var trace = new StackTrace(exception, fNeedFileInfo: true);
            var located = false;
            foreach (var frame in trace.GetFrames())
            {
                var file = frame.GetFileName();
                if (file is not null && _cellFiles.TryGetValue(file, out var number))
                {
                    lines.Add($"   at cell {number}, line {frame.GetFileLineNumber()}" + (frame.GetFileColumnNumber() > 0 ? $", column {frame.GetFileColumnNumber()}" : ""));
                    located = true;
                }
                else if (frame.GetMethod() is { } method && !IsPlumbing(method.DeclaringType?.FullName))
                    lines.Add($"   at {method.DeclaringType?.FullName}.{method.Name}");
            }
            if (!located) lines.Add($"   in cell {cell.Number}");
            return lines;
        }

        // Frames of Roslyn's script runner and of async plumbing say nothing about the learner's code.
        private static bool IsPlumbing(string? typeName) => typeName is null
            || typeName.StartsWith("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal)
            || typeName.StartsWith("System.Runtime.CompilerServices", StringComparison.Ordinal)
            || typeName.StartsWith("System.Runtime.ExceptionServices", StringComparison.Ordinal)
            || typeName.StartsWith("System.Threading.Tasks", StringComparison.Ordinal);

        private void AddReference(string path)
        {
            // An assembly the runner itself has loaded (Formatting, for one) must be shared, not loaded twice:
            // formatters registered by the notebook then reach the runner's formatting.
            var name = Path.GetFileNameWithoutExtension(path);
            var loaded = AppDomain.CurrentDomain.GetAssemblies()
                .FirstOrDefault(a => !a.IsDynamic && a.GetName().Name == name && a.Location.Length > 0);
            var effective = loaded?.Location ?? path;
            if (_referencedPaths.Add(effective))
                _references.Add(MetadataReference.CreateFromFile(effective));
        }

        private static IEnumerable<string> FrameworkAssemblies()
        {
            var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            var tpa = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator);
            return tpa.Where(p => p.Length > 0 && Path.GetDirectoryName(p) == frameworkDir && p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
        }

        // ---- parameters ---------------------------------------------------------------------------------------

        private void ValidateParameterRequest()
        {
            var wantsParameters = _options.Inputs.Count > 0 || ProfileValues() is { Count: > 0 };
            if (wantsParameters && !_notebook.Cells.Any(c => c.IsCode && c.HasTag("parameters")))
                throw new ParameterException(
                    $"{_notebook.Path}: parameters were given (--input or --profile), but no code cell is tagged 'parameters'. " +
                    "Tag the cell that holds the defaults with \"tags\": [\"parameters\"] in its metadata.");
        }

        private JsonObject? ProfileValues()
        {
            if (_options.Profile is null) return null;
            var profiles = _notebook.Root["metadata"]?["deepvision"]?["profiles"] as JsonObject;
            if (profiles?[_options.Profile] is JsonObject values) return values;
            // "full" means the defaults in the parameters cell: the real settings.
            if (_options.Profile == "full") return null;
            var known = profiles is null ? "none" : string.Join(", ", profiles.Select(p => p.Key));
            throw new ParameterException(
                $"{_notebook.Path}: the notebook has no parameter profile '{_options.Profile}' in metadata.deepvision.profiles (it has: {known}).");
        }

        private CellStatus ApplyParameters(NotebookCell cell, CellOutputs outputs)
        {
            var assignments = new List<(string Name, string Value, string From)>();
            if (ProfileValues() is { } profile)
                foreach (var (name, value) in profile)
                    assignments.Add((name, value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "null", $"profile '{_options.Profile}'"));
            foreach (var (name, value) in _options.Inputs)
                assignments.Add((name, value, "--input"));
            if (assignments.Count == 0) return CellStatus.Succeeded;

            var variables = _state!.Variables;
            var applied = new List<string>();
            foreach (var (name, text, from) in assignments)
            {
                var variable = variables.LastOrDefault(v => v.Name == name)
                    ?? throw new ParameterException(
                        $"Unknown parameter '{name}' ({from}). The parameters cell (cell {cell.Number}) defines: " +
                        $"{string.Join(", ", variables.Select(v => v.Name).Distinct())}.");
                object? value;
                try { value = ParameterConverter.Convert(text, variable.Type); }
                catch (FormatException e)
                {
                    throw new ParameterException(
                        $"Parameter '{name}' ({from}) is a {ParameterConverter.Describe(variable.Type)} in the parameters cell, and '{text}' is not: {e.Message}");
                }
                if (variable.IsReadOnly)
                    throw new ParameterException($"Parameter '{name}' is declared const or readonly in the parameters cell; declare it with 'var'.");
                variable.Value = value;
                applied.Add($"{name} = {text}");
            }
            var source = _options.Profile is not null && _notebook.Root["metadata"]?["deepvision"]?["profiles"]?[_options.Profile] is not null
                ? $" (profile '{_options.Profile}')"
                : "";
            Console.Out.WriteLine($"Parameters set by the runner{source}: {string.Join(", ", applied)}");
            return CellStatus.Succeeded;
        }
    }

    /// <summary>Writes to the current cell's outputs and, live, to the real console.</summary>
    private sealed class CapturingWriter(string streamName, TextWriter live) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            CellContext.Current?.Outputs.WriteStream(streamName, value);
            live.Write(value);
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine(string? value) => Write((value ?? "") + "\n");

        public override void WriteLine() => Write("\n");

        public override void Flush() => live.Flush();
    }
}

/// <summary>A parameter that cannot be applied; the message names it and says what to fix.</summary>
public sealed class ParameterException(string message) : Exception(message);

/// <summary>Resolves native libraries of restored packages for every assembly load context, as the kernel's probing roots do.</summary>
internal static class NativeLibraryResolver
{
    private static readonly Dictionary<string, string> Libraries = new(StringComparer.Ordinal);
    private static readonly HashSet<AssemblyLoadContext> Hooked = [];
    private static readonly Lock Gate = new();
    private static bool _installed;

    public static void Install()
    {
        lock (Gate)
        {
            if (_installed) return;
            _installed = true;
            Hook(AssemblyLoadContext.Default);
            AppDomain.CurrentDomain.AssemblyLoad += (_, args) =>
            {
                if (AssemblyLoadContext.GetLoadContext(args.LoadedAssembly) is { } context) Hook(context);
            };
        }
    }

    public static void Add(IEnumerable<string> paths)
    {
        lock (Gate)
            foreach (var path in paths)
                Libraries.TryAdd(Path.GetFileName(path), path);
    }

    private static void Hook(AssemblyLoadContext context)
    {
        lock (Gate)
            if (Hooked.Add(context))
                context.ResolvingUnmanagedDll += Resolve;
    }

    private static IntPtr Resolve(Assembly assembly, string name)
    {
        string[] candidates = [name, $"lib{name}.so", $"{name}.so", $"lib{name}.dylib", $"{name}.dylib", $"{name}.dll"];
        foreach (var candidate in candidates)
        {
            string? path;
            lock (Gate) Libraries.TryGetValue(candidate, out path);
            if (path is not null && System.Runtime.InteropServices.NativeLibrary.TryLoad(path, out var handle)) return handle;
        }
        return IntPtr.Zero;
    }
}
