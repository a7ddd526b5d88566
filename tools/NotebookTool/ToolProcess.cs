using System.Diagnostics;
using System.Text;

namespace DeepVision.NotebookTool;

/// <summary>Runs an executor (dotnet-repl, Python with nbclient) with a time limit, its whole process tree stopped past it.</summary>
public static class ToolProcess
{
    public static ProcessRun Run(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan limit,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        Process? started;
        try { started = Process.Start(start); }
        catch (System.ComponentModel.Win32Exception e) { throw new NotebookException($"{fileName} could not be started: {e.Message}"); }
        using var process = started ?? throw new NotebookException($"{fileName} could not be started");
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (log) return new ProcessRun(-1, true, log.ToString());
        }
        process.WaitForExit();
        lock (log) return new ProcessRun(process.ExitCode, false, log.ToString());
    }
}
