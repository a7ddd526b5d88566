using System.Text;
using System.Text.RegularExpressions;

namespace DeepVision.Runner.Execution;

/// <summary>A NuGet package a cell asked for with <c>#r "nuget: Name, Version"</c>; no version means the latest stable.</summary>
public sealed record PackageRequest(string Name, string? Version)
{
    public override string ToString() => Version is null ? Name : $"{Name}, {Version}";
}

/// <summary>
/// A code cell split the way the Polyglot kernel splits it: the directives it handles itself (nuget references and
/// sources, magics) are taken out, and the C# left for Roslyn keeps its line numbers (directive lines become blank).
/// </summary>
public sealed record ParsedCell(
    string Code,
    IReadOnlyList<PackageRequest> Packages,
    IReadOnlyList<string> PackageSources,
    IReadOnlyList<string> Imports,
    bool Time);

/// <summary>Raised for a directive the kernel would reject, with the kernel's own wording where it has one.</summary>
public sealed class DirectiveException(string message) : Exception(message);

public static partial class CellParser
{
    // Kernel names the Polyglot extension knows: a cell for any of them is not C#.
    private static readonly HashSet<string> OtherKernels = new(StringComparer.OrdinalIgnoreCase)
    {
        "fsharp", "f#", "pwsh", "powershell", "javascript", "js", "html", "markdown", "md", "mermaid", "sql", "kql",
        "http", "python", "r", "value",
    };

    private static readonly HashSet<string> CSharpKernelNames = new(StringComparer.OrdinalIgnoreCase) { "csharp", "c#" };

    // Polyglot magics that exist in the real kernel but that this runner does not implement.
    private static readonly HashSet<string> UnsupportedKernelMagics = new(StringComparer.OrdinalIgnoreCase)
    {
        "set", "share", "who", "whos", "about", "lsmagic", "log", "connect", "inspect", "help",
    };

    [GeneratedRegex("""^#r\s+"nuget:\s*(?<name>[^,"\s]+)\s*(,\s*(?<version>[^"]*?))?\s*"\s*$""")]
    private static partial Regex NugetReference();

    [GeneratedRegex("""^#i\s+"nuget:\s*(?<source>[^"]+?)\s*"\s*$""")]
    private static partial Regex NugetSource();

    [GeneratedRegex("""^#!(?<name>[^\s]+)(\s+(?<args>.*))?$""")]
    private static partial Regex Magic();

    /// <summary>True when the kernel name (from cell metadata or a <c>#!kernel</c> line) means C#.</summary>
    public static bool IsCSharp(string? kernelName) => kernelName is null || CSharpKernelNames.Contains(kernelName);

    public static ParsedCell Parse(string source)
    {
        var packages = new List<PackageRequest>();
        var sources = new List<string>();
        var imports = new List<string>();
        var time = false;
        var code = new StringBuilder();
        var lines = source.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimEnd();
            if (NugetReference().Match(trimmed) is { Success: true } reference)
            {
                var version = reference.Groups["version"].Value;
                packages.Add(new PackageRequest(reference.Groups["name"].Value, version.Length == 0 ? null : version));
                line = "";
            }
            else if (NugetSource().Match(trimmed) is { Success: true } packageSource)
            {
                sources.Add(packageSource.Groups["source"].Value);
                line = "";
            }
            else if (trimmed.StartsWith("#!", StringComparison.Ordinal) && Magic().Match(trimmed) is { Success: true } magic)
            {
                var name = magic.Groups["name"].Value;
                var args = magic.Groups["args"].Value.Trim();
                if (CSharpKernelNames.Contains(name)) { }
                else if (name == "time") time = true;
                else if (name == "import")
                {
                    if (args.Length == 0) throw new DirectiveException("#!import needs a file: #!import path/to/file.ipynb");
                    imports.Add(args.Trim('"'));
                }
                else if (OtherKernels.Contains(name))
                    throw new DirectiveException(
                        $"This cell switches to the '{name}' kernel (line {i + 1}). The DeepVision runner executes C# only; " +
                        "move this code to a C# cell or run the notebook in VS Code Polyglot Notebooks.");
                else if (UnsupportedKernelMagics.Contains(name))
                    throw new DirectiveException(
                        $"The magic command '#!{name}' (line {i + 1}) is a Polyglot kernel feature that the DeepVision runner does not support; " +
                        "use plain C# instead.");
                else
                    throw new DirectiveException($"Unknown magic command '#!{name}'");
                line = "";
            }
            code.Append(line);
            if (i < lines.Length - 1) code.Append('\n');
        }
        return new ParsedCell(code.ToString(), packages, sources, imports, time);
    }
}
