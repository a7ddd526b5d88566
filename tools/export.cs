// Exports the course's notebooks as .NET 10 file-based apps, and runs them: the route that needs no notebook kernel.
//
//   dotnet run tools/export.cs -- export [--profile quick|full|gpu] [--out DIR] [notebook.ipynb...]
//   dotnet run tools/export.cs -- run [--profile quick|full|gpu] [--out DIR] [--timeout SECONDS] [notebook.ipynb...]
//
// export: for each notebook (default notebooks/*.ipynb) the copy with the profile's values that the kernel route runs
// (tools/notebooks.cs prepare: the same injected cell) becomes DIR/<name>.cs (default artifacts/apps): `#r "nuget: X,
// V"` lines become `#:package X@V`, the using directives of every cell come first, the cells' statements follow in
// order (each marked, so that the page groups outputs by cell), an expression that ends a cell is displayed as the
// kernel displays it, methods become local functions, and classes, records and other types move to the end (C# wants
// them after the top-level statements). Markdown cells become comments. What a program cannot hold (a `#!` magic, a
// `#r` of a path or a file, a field) is refused, naming the notebook and the cell. Outputs go through the helpers'
// AppDisplay: console text, PNG pictures, and DIR/<name>/index.html in cell order.
//
// run: exports, then runs each app with `dotnet run` (working directory notebooks/, as the kernel's), and checks its
// page: exit code 0, no error on it, no `<null>`; then cleans the app's build (each holds a copy of libtorch). Writes DIR/summary.json ({ "passed", "failed", "apps": [...] });
// exit code 0 when every app passed.
#:package Microsoft.CodeAnalysis.CSharp
#:property PublishAot=false
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

var repoRoot = FindRepoRoot();
try
{
    var (verb, profile, outDir, timeout, inputs) = Options(args);
    var exported = inputs.Select(input => Export(input, profile, outDir)).ToList();
    return verb == "export" ? 0 : RunApps(exported, outDir, timeout);
}
catch (ExportException e)
{
    Console.Error.WriteLine($"export: {e.Message}");
    return 2;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"export: {e.Message}");
    Console.Error.WriteLine("usage: dotnet run tools/export.cs -- export|run [--profile quick|full|gpu] [--out DIR] [--timeout SECONDS] [notebook.ipynb...]");
    return 1;
}

(string Verb, string Profile, string OutDir, TimeSpan Timeout, List<string> Inputs) Options(string[] arguments)
{
    if (arguments.Length == 0 || arguments[0] is not ("export" or "run")) throw new UsageException("the first argument is export or run");
    var (profile, outDir, timeout, inputs) = ("quick", Path.Combine(repoRoot, "artifacts", "apps"), TimeSpan.FromMinutes(10), new List<string>());
    for (var i = 1; i < arguments.Length; i++)
    {
        string Value() => i + 1 < arguments.Length ? arguments[++i] : throw new UsageException($"{arguments[i]} needs a value");
        switch (arguments[i])
        {
            case "--profile": profile = Value(); break;
            case "--out": outDir = Path.GetFullPath(Value()); break;
            case "--timeout": timeout = double.TryParse(Value(), out var s) && s > 0 ? TimeSpan.FromSeconds(s) : throw new UsageException("--timeout takes a number of seconds above 0"); break;
            default:
                if (arguments[i].StartsWith("--")) throw new UsageException($"unknown option {arguments[i]}");
                inputs.Add(File.Exists(arguments[i]) ? Path.GetFullPath(arguments[i]) : throw new UsageException($"{arguments[i]}: no such notebook"));
                break;
        }
    }
    if (inputs.Count == 0) inputs.AddRange(Directory.GetFiles(Path.Combine(repoRoot, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal));
    return (arguments[0], profile, outDir, timeout, inputs);
}

// One notebook to DIR/<name>.cs; returns the app's path.
string Export(string input, string profile, string outDir)
{
    var name = Path.GetFileNameWithoutExtension(input);
    Directory.CreateDirectory(outDir);
    WriteBuildSettings(outDir);
    var prepared = Path.Combine(outDir, $"{name}.prepared.ipynb");
    // The kernel route's own injection of the profile's values: one implementation, in tools/notebooks.cs.
    var (code, _, errors) = Dotnet(["run", Path.Combine(repoRoot, "tools", "notebooks.cs"), "--", "prepare", "--profile", profile, input, prepared], repoRoot, TimeSpan.FromMinutes(3));
    if (code != 0) throw new ExportException($"{name}: preparing the {profile} profile failed: {errors.Trim()}");
    var notebook = JsonNode.Parse(File.ReadAllText(prepared))!;
    File.Delete(prepared);

    var topLevel = notebook["cells"]!.AsArray().Where(c => c!["cell_type"]!.GetValue<string>() == "code")
        .SelectMany(c => TopLevelNames(Parse(Regex.Replace(Source(c!), @"^#[r!].*$", "", RegexOptions.Multiline)))).ToHashSet();
    var packages = new List<string>();
    var usings = new List<string>();
    var body = new StringBuilder();
    var types = new StringBuilder();
    var cellNumber = 0;
    foreach (var cell in notebook["cells"]!.AsArray())
    {
        cellNumber++;
        var source = Source(cell!);
        if (cell!["cell_type"]!.GetValue<string>() == "markdown")
        {
            body.AppendLine().AppendJoin("", source.TrimEnd().Split('\n').Select(l => $"// {l}".TrimEnd() + "\n"));
            continue;
        }
        if (cell["cell_type"]!.GetValue<string>() != "code") continue;
        var where = $"{name}.ipynb, cell {cellNumber}";
        foreach (Match magic in Regex.Matches(source, @"^#!\S*", RegexOptions.Multiline))
            throw new ExportException($"{where}: the magic command {magic.Value} runs only in the kernel; a file-based app cannot hold it.");
        foreach (Match r in Regex.Matches(source, @"^#r\s+""([^""]*)""\s*$", RegexOptions.Multiline))
        {
            var reference = Regex.Match(r.Groups[1].Value, @"^nuget:\s*([^,\s]+)\s*,\s*(\S+)\s*$");
            if (!reference.Success) throw new ExportException($"{where}: #r \"{r.Groups[1].Value}\" is not a pinned NuGet package (\"nuget: Name, Version\"): a file-based app takes packages only.");
            packages.Add($"#:package {reference.Groups[1].Value}@{reference.Groups[2].Value}");
        }
        var cellCode = Regex.Replace(source, @"^#r\s+.*$", "", RegexOptions.Multiline);
        var parsed = Parse(cellCode);
        if (parsed.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error) is { } error)
            throw new ExportException($"{where}: {error.GetMessage()} (line {error.Location.GetLineSpan().StartLinePosition.Line + 1}).");
        var root = RenameShadows(parsed, topLevel, cellNumber);
        usings.AddRange(root.Usings.Select(u => u.ToString()));
        body.AppendLine($"AppDisplay.Current!.Cell({cellNumber});");
        var members = root.Members;
        for (var m = 0; m < members.Count; m++)
        {
            var member = members[m];
            switch (member)
            {
                case GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } shown } when m == members.Count - 1:
                    // The kernel displays the value of an expression that ends a cell.
                    body.Append(Leading(member)).AppendLine($"display({shown.Expression.ToString()});");
                    break;
                case GlobalStatementSyntax statement:
                    body.AppendLine(statement.ToFullString().TrimEnd());
                    break;
                case MethodDeclarationSyntax method:
                    // A script's method is a top-level program's local function (no access modifiers).
                    var local = method.WithModifiers(SyntaxFactory.TokenList(method.Modifiers.Where(t => t.Kind() is SyntaxKind.StaticKeyword or SyntaxKind.AsyncKeyword or SyntaxKind.UnsafeKeyword)));
                    body.AppendLine(local.ToFullString().TrimEnd());
                    break;
                case FieldDeclarationSyntax { Modifiers.Count: 0 } field:
                    // A script's top-level variable (`var x = 1;` parses as a field there) is a program's local variable.
                    body.Append(Leading(field)).AppendLine(field.Declaration.ToString() + ";");
                    break;
                case BaseTypeDeclarationSyntax or DelegateDeclarationSyntax:
                    types.AppendLine($"// {where}").AppendLine(member.ToFullString().Trim()).AppendLine();
                    break;
                default:
                    throw new ExportException($"{where}: a top-level {member.Kind()} is kernel-only C# (script code); declare it as a local variable or inside a class.");
            }
        }
    }

    var app = new StringBuilder();
    app.AppendLine($"// {name}: exported from notebooks/{name}.ipynb ({profile} profile) by ./build.sh export. Build output: edit the notebook, not this file.");
    app.AppendLine($"// Run from anywhere: dotnet run {Path.GetRelativePath(repoRoot, Path.Combine(outDir, name + ".cs"))}  (outputs: console, {Path.GetRelativePath(repoRoot, Path.Combine(outDir, name))}/index.html)");
    foreach (var p in packages.Distinct()) app.AppendLine(p);
    foreach (var u in usings.Append("using DeepVision.Plots;").Append("using static DeepVision.Plots.AppDisplay;").Distinct()) app.AppendLine(u);
    app.AppendLine();
    app.AppendLine("// The notebooks' relative paths start in notebooks/, as in the kernel.");
    app.AppendLine($"Directory.SetCurrentDirectory({Literal(Path.Combine(repoRoot, "notebooks"))});");
    app.AppendLine($"AppDisplay.Start({Literal(Path.Combine(outDir, name))}, {Literal(Title(notebook, name))});");
    app.Append(body);
    app.AppendLine().AppendLine("AppDisplay.Current!.Finish();");
    if (types.Length > 0) app.AppendLine().AppendLine("// Types declared in the notebook's cells (C# wants them after the top-level statements).").Append(types);
    var path = Path.Combine(outDir, name + ".cs");
    WriteAtomically(path, app.ToString());
    Console.WriteLine($"exported {Path.GetRelativePath(repoRoot, input)} -> {Path.GetRelativePath(repoRoot, path)} ({profile} profile)");
    return path;
}

int RunApps(List<string> apps, string outDir, TimeSpan timeout)
{
    var results = new JsonArray();
    var failed = 0;
    foreach (var app in apps)
    {
        var name = Path.GetFileNameWithoutExtension(app);
        var watch = Stopwatch.StartNew();
        var (code, output, errors) = Dotnet(["run", app], Path.Combine(repoRoot, "notebooks"), timeout);
        // Each app's build holds its own copy of libtorch (about 1.5 GB, in the SDK's file-based app cache): removed
        // at once, so that running all of them takes the disk of one.
        Dotnet(["clean", app], Path.Combine(repoRoot, "notebooks"), TimeSpan.FromMinutes(2));
        var page = Path.Combine(outDir, name, "index.html");
        var html = File.Exists(page) ? File.ReadAllText(page) : "";
        var problems = new List<string>();
        if (code != 0) problems.Add($"exit code {code}: {LastLines(string.Join("\n", output.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(5).Append(errors)), 12)}");
        if (html.Length == 0) problems.Add("no page was written");
        if (html.Contains("<pre style=\"color:#b00\">")) problems.Add("the page shows an error");
        if (html.Contains("&lt;null&gt;")) problems.Add("the page shows <null>");
        var results1 = output.Split('\n').Where(l => l.StartsWith("Result:", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        results.Add(new JsonObject
        {
            ["app"] = name, ["passed"] = problems.Count == 0, ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds),
            ["problems"] = new JsonArray([.. problems.Select(p => JsonValue.Create(p))]), ["results"] = new JsonArray([.. results1.Select(r => JsonValue.Create(r))]),
        });
        if (problems.Count > 0) failed++;
        Console.WriteLine($"── {name}.cs: {(problems.Count == 0 ? "passed" : "failed: " + string.Join("; ", problems))}, {watch.Elapsed.TotalSeconds:F0} s");
    }
    var summary = new JsonObject { ["passed"] = apps.Count - failed, ["failed"] = failed, ["apps"] = results };
    WriteAtomically(Path.Combine(outDir, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"apps: {apps.Count - failed} passed, {failed} failed (file-based apps, pages in {Path.GetRelativePath(repoRoot, outDir)}/)");
    return failed == 0 ? 0 : 2;
}

// The apps' own build settings: they stop the repository's (warnings as errors, nullable, central versions) from
// applying to code written for the kernel, which compiles with nullable annotations off and takes pinned versions.
void WriteBuildSettings(string outDir)
{
    WriteAtomically(Path.Combine(outDir, "Directory.Build.props"), """
        <Project>
          <PropertyGroup>
            <Nullable>disable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
            <!-- Run through the dotnet host (dotnet app.dll), not a launcher: on Debian 12 only build.sh's host has the libstdc++ TorchSharp needs. -->
            <UseAppHost>false</UseAppHost>
            <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
            <NoWarn>$(NoWarn);NU1603;CS1701;CS1702</NoWarn>
          </PropertyGroup>
        </Project>
        """);
    WriteAtomically(Path.Combine(outDir, "Directory.Packages.props"), "<Project />\n");
    WriteAtomically(Path.Combine(outDir, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
            <add key="deepvision-helpers" value="{Path.Combine(repoRoot, "artifacts", "packages")}" />
          </packageSources>
        </configuration>
        """);
}

static CompilationUnitSyntax Parse(string code) =>
    (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script)).GetRoot();

// A variable of the notebook's top level: a script's top-level `var x` (a field there), or a deconstruction or pattern
// variable of a top-level statement.
static IEnumerable<string> TopLevelNames(CompilationUnitSyntax root) =>
    root.Members.OfType<FieldDeclarationSyntax>().SelectMany(f => f.Declaration.Variables.Select(v => v.Identifier.ValueText))
        .Concat(root.Members.OfType<GlobalStatementSyntax>().SelectMany(g => g.DescendantNodes().OfType<SingleVariableDesignationSyntax>())
            .Where(IsTopLevel).Select(d => d.Identifier.ValueText));

static bool IsTopLevel(SyntaxNode node) => !node.Ancestors().Any(a => a is BlockSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax
    or MethodDeclarationSyntax or CommonForEachStatementSyntax or ForStatementSyntax or CatchClauseSyntax or UsingStatementSyntax or BaseTypeDeclarationSyntax or SwitchSectionSyntax);

// In the kernel each cell is a scope of its own, so a loop's `var history` may share its name with a top-level
// variable of a later cell; one program's top level is one scope, where that is an error (CS0136). Such a variable of a
// nested block is renamed within the scope that declares it. (Lambdas and local functions may shadow since C# 8: their
// parameters and locals keep their names.)
static CompilationUnitSyntax RenameShadows(CompilationUnitSyntax root, HashSet<string> topLevel, int cell)
{
    for (var k = 1; ; k++)
    {
        var found = root.DescendantNodes().Select(n => (Node: n, Name: NestedDeclaration(n))).FirstOrDefault(p => p.Name is not null && topLevel.Contains(p.Name));
        if (found.Node is null) return root;
        var scope = found.Node is CommonForEachStatementSyntax or CatchDeclarationSyntax ? found.Node
            : found.Node.Ancestors().First(a => a is BlockSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MethodDeclarationSyntax
                or CommonForEachStatementSyntax or ForStatementSyntax or CatchClauseSyntax or UsingStatementSyntax or SwitchSectionSyntax or GlobalStatementSyntax);
        root = root.ReplaceNode(scope, new Renamer(found.Name!, $"{found.Name}_{cell}_{k}").Visit(scope)!);
    }
}

static string? NestedDeclaration(SyntaxNode node) => node.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MethodDeclarationSyntax or BaseTypeDeclarationSyntax) ? null : node switch
{
    VariableDeclaratorSyntax v when v.Parent?.Parent is not FieldDeclarationSyntax => v.Identifier.ValueText,
    ForEachStatementSyntax f => f.Identifier.ValueText,
    SingleVariableDesignationSyntax d when !IsTopLevel(d) => d.Identifier.ValueText,
    CatchDeclarationSyntax c when c.Identifier.ValueText.Length > 0 => c.Identifier.ValueText,
    _ => null,
};

static string Source(JsonNode cell) => cell["source"] switch
{
    JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
    JsonValue text => text.GetValue<string>(),
    _ => "",
};

static string Leading(SyntaxNode node) => node.GetLeadingTrivia().ToFullString();

static string Title(JsonNode notebook, string name) =>
    notebook["cells"]!.AsArray().Select(c => Source(c!)).FirstOrDefault(s => s.StartsWith("# ", StringComparison.Ordinal))?.Split('\n')[0][2..].Trim() ?? name;

static string Literal(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

static string LastLines(string text, int count) => string.Join(" | ", text.Trim().Split('\n').TakeLast(count).Select(l => l.Trim()));

static void WriteAtomically(string path, string text)
{
    var temporary = path + ".tmp-" + Environment.ProcessId;
    File.WriteAllText(temporary, text);
    File.Move(temporary, path, overwrite: true);
}

static (int Code, string Output, string Errors) Dotnet(string[] arguments, string workingDirectory, TimeSpan timeout)
{
    var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
    {
        WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true,
    };
    foreach (var a in arguments) start.ArgumentList.Add(a);
    using var process = Process.Start(start)!;
    var output = new StringBuilder();
    process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) output.AppendLine(e.Data); } };
    process.BeginOutputReadLine();
    var errors = process.StandardError.ReadToEndAsync();
    if (!process.WaitForExit(timeout))
    {
        process.Kill(entireProcessTree: true);
        return (124, output.ToString(), $"timed out after {timeout.TotalSeconds:F0} s");
    }
    process.WaitForExit();
    return (process.ExitCode, output.ToString(), errors.Result);
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "DeepVision.slnx"))) return dir.FullName;
    throw new UsageException("run this from inside the DeepVision repository");
}

/// <summary>Renames one variable, its declarations and its uses, within a subtree (member names and named arguments keep theirs).</summary>
sealed class Renamer(string from, string to) : CSharpSyntaxRewriter
{
    private SyntaxToken Rename(SyntaxToken token) => token.ValueText == from ? SyntaxFactory.Identifier(token.LeadingTrivia, to, token.TrailingTrivia) : token;
    public override SyntaxNode? VisitVariableDeclarator(VariableDeclaratorSyntax node) => base.VisitVariableDeclarator(node.WithIdentifier(Rename(node.Identifier)));
    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node) => base.VisitForEachStatement(node.WithIdentifier(Rename(node.Identifier)));
    public override SyntaxNode? VisitParameter(ParameterSyntax node) => base.VisitParameter(node.WithIdentifier(Rename(node.Identifier)));
    public override SyntaxNode? VisitSingleVariableDesignation(SingleVariableDesignationSyntax node) => node.WithIdentifier(Rename(node.Identifier));
    public override SyntaxNode? VisitCatchDeclaration(CatchDeclarationSyntax node) => base.VisitCatchDeclaration(node.WithIdentifier(Rename(node.Identifier)));
    public override SyntaxNode? VisitIdentifierName(IdentifierNameSyntax node)
    {
        if (node.Parent is MemberAccessExpressionSyntax access && access.Name == node) return node;
        if (node.Parent is NameColonSyntax or NameEqualsSyntax) return node;
        return node.WithIdentifier(Rename(node.Identifier));
    }
}

sealed class UsageException(string message) : Exception(message);
sealed class ExportException(string message) : Exception(message);
