using System.Diagnostics;
using System.Text.Json;

namespace DeepVision.Benchmarks;

/// <summary>Runs a benchmark's PyTorch script (copied next to the harness) and reads the JSON object it prints.</summary>
internal static class PyTorchSide
{
    /// <summary>The script's figures, or null with the reason in <paramref name="note"/> and how to install PyTorch.</summary>
    public static JsonElement? Run(string script, string[] arguments, string benchmark, out string note)
    {
        var path = Path.Combine(AppContext.BaseDirectory, script);
        foreach (var python in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                var start = new ProcessStartInfo(python, [path, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
                using var process = Process.Start(start)!;
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode == 0) { note = ""; return JsonDocument.Parse(stdout.Result).RootElement.Clone(); }
                if (!stderr.Contains("No module named 'torch'", StringComparison.Ordinal) && !stderr.Contains("No module named 'torchvision'", StringComparison.Ordinal))
                {
                    note = $"PyTorch's side failed ({python} {path}): {stderr.Trim().Split('\n').LastOrDefault()}";
                    return null;
                }
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        note = "PyTorch's side: no python3 with torch and torchvision found, so only our figures are shown. To compare, install " +
               $"them (Debian/Ubuntu: sudo apt-get install --no-install-recommends python3-torch python3-torchvision: without the flag Debian adds libtorch-dev, whose libtorch 1.13 notebook kernels would load; elsewhere: pip install torch torchvision) and run ./build.sh bench {benchmark} again.";
        return null;
    }
}
