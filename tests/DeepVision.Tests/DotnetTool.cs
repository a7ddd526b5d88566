using System.Diagnostics;

namespace DeepVision.Tests;

/// <summary>Runs one of the repository's file-based tools (<c>dotnet run tools/X.cs -- args</c>) as a user would.</summary>
internal static class DotnetTool
{
    public static (int ExitCode, string Output, string Errors) Run(string tool, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        foreach (var a in new[] { "run", Path.Combine("tools", tool), "--" }.Concat(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"tools/{tool} did not finish in 4 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
