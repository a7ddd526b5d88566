using System.Diagnostics;
using System.Xml.Linq;

namespace DeepVision.Tests.Foundation;

/// <summary>
/// build.sh: it decides from the host's libstdc++ whether to provision a private runtime (both answers tested), adds
/// up the test counts from the TRX results and fails a run with skipped tests when the shared real data is there.
/// </summary>
public class BuildScriptTests
{
    private static (int ExitCode, string Output) RunBuildScript(IDictionary<string, string> env, params string[] args) =>
        RunBash([Path.Combine(RepoPaths.Root, "build.sh"), .. args], env, TimeSpan.FromMinutes(2), unset: null);

    /// <summary>bash with <paramref name="arguments"/>, its environment changed by <paramref name="env"/> (and without <paramref name="unset"/>).</summary>
    private static (int ExitCode, string Output) RunBash(IEnumerable<string> arguments, IDictionary<string, string>? env, TimeSpan timeout, string? unset)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (unset is not null) start.Environment.Remove(unset);
        foreach (var (key, value) in env ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(timeout), $"bash {string.Join(" ", arguments)} did not finish in {timeout.TotalSeconds:F0} s");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string WriteFakeLibrary(string directory, string versions)
    {
        var path = Path.Combine(directory, "libstdc++.so.6");
        // Version names sit in the binary's string table between NUL bytes.
        File.WriteAllBytes(path, new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 0 }
            .Concat(versions.Split(' ').SelectMany(v => System.Text.Encoding.ASCII.GetBytes(v).Append((byte)0))).ToArray());
        return path;
    }

    [Fact]
    public void An_old_libstdcxx_needs_the_private_runtime()
    {
        var dir = Directory.CreateTempSubdirectory("dv-old-libstdcxx").FullName;
        try
        {
            var lib = WriteFakeLibrary(dir, "GLIBCXX_3.4.29 GLIBCXX_3.4.30");
            var (code, output) = RunBuildScript(new Dictionary<string, string> { ["DEEPVISION_LIBSTDCXX"] = lib }, "doctor");
            Assert.Equal(0, code);
            Assert.Contains("GLIBCXX_3.4.32:    missing", output);
            Assert.Contains("runtime:             private", output);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_new_libstdcxx_provisions_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("dv-new-libstdcxx").FullName;
        try
        {
            var lib = WriteFakeLibrary(dir, "GLIBCXX_3.4.30 GLIBCXX_3.4.31 GLIBCXX_3.4.32 GLIBCXX_3.4.33");
            var cache = Path.Combine(dir, "cache");
            var (code, output) = RunBuildScript(
                new Dictionary<string, string> { ["DEEPVISION_LIBSTDCXX"] = lib, ["DEEPVISION_BUILD_CACHE"] = cache },
                "doctor", "--provision");
            Assert.True(code == 0, output);
            Assert.Contains("GLIBCXX_3.4.32:    present", output);
            Assert.Contains("runtime:             system", output);
            Assert.False(Directory.Exists(cache), "nothing may be provisioned on a host whose libstdc++ is new enough");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_real_host_libstdcxx_is_judged_by_its_version_table()
    {
        var (code, output) = RunBuildScript(new Dictionary<string, string>(), "doctor");
        Assert.Equal(0, code);
        var line = output.Split('\n').Single(l => l.StartsWith("host libstdc++:"));
        var lib = line["host libstdc++:".Length..].Trim();
        Assert.True(File.Exists(lib), $"build.sh named a libstdc++ that does not exist: {lib}");
        var hasSymbol = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(lib)).Contains("GLIBCXX_3.4.32");
        Assert.Contains(hasSymbol ? "GLIBCXX_3.4.32:    present" : "GLIBCXX_3.4.32:    missing", output);
    }

    [Fact]
    public void An_unknown_verb_prints_usage_and_fails()
    {
        var (code, output) = RunBuildScript(new Dictionary<string, string>(), "frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("unknown verb 'frobnicate'", output);
        Assert.Contains("Usage: ./build.sh", output);
    }

    /// <summary>Runs <paramref name="script"/> in bash after sourcing build.sh (which then only defines its functions).</summary>
    private static (int ExitCode, string Output) RunFunction(string script, IDictionary<string, string>? env = null) =>
        RunBash(["-c", $"source \"{Path.Combine(RepoPaths.Root, "build.sh")}\" && {script}"], env, TimeSpan.FromSeconds(30), unset: "DEEPVISION_SHARED");

    /// <summary>A TRX file as <c>dotnet test --logger trx</c> writes it: one UnitTestResult per test (name, outcome,
    /// duration, and a message and stack for a failure or a skip), and counters that, as the real ones, leave skips out.</summary>
    private static void WriteTrx(string path, params (string Name, string Outcome, string Duration, string? Message, string? Stack)[] results)
    {
        XNamespace t = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        var run = new XElement(t + "TestRun",
            new XElement(t + "Results", results.Select(r => new XElement(t + "UnitTestResult",
                new XAttribute("testName", r.Name), new XAttribute("outcome", r.Outcome), new XAttribute("duration", r.Duration),
                r.Message is null ? null : new XElement(t + "Output", new XElement(t + "ErrorInfo",
                    new XElement(t + "Message", r.Message), r.Stack is null ? null : new XElement(t + "StackTrace", r.Stack)))))),
            new XElement(t + "ResultSummary", new XAttribute("outcome", "Completed"), new XElement(t + "Counters",
                new XAttribute("total", results.Length), new XAttribute("passed", results.Count(r => r.Outcome == "Passed")), new XAttribute("notExecuted", 0))));
        new XDocument(run).Save(path);
    }

    private static (string, string, string, string?, string?)[] Many(int count, string outcome, string? message = null) =>
        [.. Enumerable.Range(1, count).Select(i => ($"DeepVision.Tests.T.Test_{i}", outcome, "00:00:00.0010000", message, (string?)null))];

    [Fact]
    public void The_test_summary_adds_up_every_assembly()
    {
        // Read from the TRX results of every test assembly, never from dotnet test's console.
        using var folder = new TempFolder();
        WriteTrx(Path.Combine(folder.Path, "a.trx"), [.. Many(150, "Passed"), .. Many(5, "NotExecuted", "needs the full mnist dataset files")]);
        WriteTrx(Path.Combine(folder.Path, "b.trx"), [.. Many(1234, "Passed"), .. Many(2, "Failed", "Assert.True() Failure")]);
        var (code, output) = RunFunction($"unit_test_counts '{folder.Path}'");
        Assert.Equal(0, code);
        Assert.Equal("1384 2 5", output.Trim());

        // Every outcome but Passed and NotExecuted (a skip) is a failure.
        File.Delete(Path.Combine(folder.Path, "b.trx"));
        WriteTrx(Path.Combine(folder.Path, "c.trx"), [.. Many(1, "Passed"), .. Many(1, "Error", "crashed"), .. Many(1, "Timeout", "too slow")]);
        (code, output) = RunFunction($"unit_test_counts '{folder.Path}'");
        Assert.Equal(0, code);
        Assert.Equal("151 2 5", output.Trim());

        // No results (the build failed before any test ran), or unreadable ones: nothing, and a failing status.
        using var empty = new TempFolder();
        (code, output) = RunFunction($"unit_test_counts '{empty.Path}'");
        Assert.Equal(1, code);
        Assert.Equal("", output.Trim());
        File.WriteAllText(Path.Combine(empty.Path, "broken.trx"), "<TestRun");
        Assert.Equal(1, RunFunction($"unit_test_counts '{empty.Path}'").ExitCode);
    }

    [Fact]
    public void The_end_of_a_failed_run_names_each_failed_test_with_its_message()
    {
        using var folder = new TempFolder();
        WriteTrx(Path.Combine(folder.Path, "run.trx"),
            ("DeepVision.Tests.Data.RealDatasetTests.The_manifest_matches_the_committed_files", "Passed", "00:00:00.0280000", null, null),
            ("DeepVision.Tests.Storage.FileLockTests.A_second_writer_waits", "Failed", "00:00:02.0040000", "Assert.True() Failure",
                "   at DeepVision.Tests.Storage.FileLockTests.A_second_writer_waits() in FileLockTests.cs:line 40"),
            ("DeepVision.Tests.Data.RealDatasetTests.Mnist_has_the_official_sizes_and_class_counts", "NotExecuted", "00:00:00.0010000", "needs the full mnist dataset files", null),
            ("DeepVision.Tests.Weights.StateDictTests.Our_own_checkpoints_round_trip_through_safetensors", "Passed", "00:00:00.0020000", null, null));
        var (code, output) = RunFunction($"failed_test_report '{folder.Path}'");
        Assert.Equal(0, code);
        Assert.Equal("""
              Failed DeepVision.Tests.Storage.FileLockTests.A_second_writer_waits [2 s]
              Error Message:
               Assert.True() Failure
              Stack Trace:
                 at DeepVision.Tests.Storage.FileLockTests.A_second_writer_waits() in FileLockTests.cs:line 40
            """, output.TrimEnd().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Skips_fail_the_run_only_when_the_shared_real_data_is_there()
    {
        var (code, output) = RunFunction("judge_skips '150 passed, 0 failed, 5 skipped'");
        Assert.Equal(0, code);
        Assert.Contains("5 tests were skipped", output);

        (code, output) = RunFunction("judge_skips '150 passed, 0 failed, 5 skipped'", new Dictionary<string, string> { ["DEEPVISION_SHARED"] = "/data/shared" });
        Assert.Equal(1, code);
        Assert.Contains("no test may be skipped", output);

        (code, output) = RunFunction("judge_skips '155 passed, 0 failed, 0 skipped'", new Dictionary<string, string> { ["DEEPVISION_SHARED"] = "/data/shared" });
        Assert.Equal(0, code);
        Assert.Equal("", output.Trim());
    }

    [Fact]
    public void A_system_libtorch_on_the_library_path_is_named_with_its_fix()
    {
        using var bin = new TempFolder();
        void Fake(string name, string output)
        {
            var path = Path.Combine(bin.Path, name);
            File.WriteAllText(path, $"#!/bin/sh\necho '{output}'\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var env = new Dictionary<string, string> { ["PATH"] = $"{bin.Path}:/usr/bin:/bin" };
        Fake("ldconfig", "\tlibtorch_cpu.so.1.13 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13");
        Assert.Equal("", RunFunction("system_libtorch_warning", env).Output.Trim()); // versioned only: dlopen("libtorch_cpu.so") misses it

        var library = Path.Combine(bin.Path, "libtorch_cpu.so");
        Fake("ldconfig", $"\tlibtorch_cpu.so (libc6,x86-64) => {library}");
        Fake("dpkg", $"libtorch-dev: {library}");
        Assert.Equal("", RunFunction("system_libtorch_warning", env).Output.Trim()); // a stale cache entry: the file is gone

        File.WriteAllText(library, "");
        var (code, output) = RunFunction("system_libtorch_warning", env);
        Assert.Equal(0, code);
        Assert.Contains($"{library}, from libtorch-dev", output);
        Assert.Contains("sudo apt-get remove libtorch-dev", output);
    }

    [Fact]
    public void The_private_runtime_on_PATH_is_not_taken_for_the_installed_one()
    {
        // The README puts the private runtime first on PATH for VS Code; provisioning must still copy the real SDK.
        using var root = new TempFolder();
        string FakeDotnet(string folder)
        {
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, "dotnet");
            File.WriteAllText(path, "#!/bin/sh\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return folder;
        }
        var cache = Path.Combine(root.Path, "cache");
        var privateRoot = FakeDotnet(Path.Combine(cache, "runtime", "dotnet"));
        var installed = FakeDotnet(Path.Combine(root.Path, "sdk"));
        var env = new Dictionary<string, string> { ["DEEPVISION_BUILD_CACHE"] = cache, ["PATH"] = $"{privateRoot}:{installed}:/usr/bin:/bin" };
        var (code, output) = RunFunction("system_dotnet_root", env);
        Assert.Equal(0, code);
        Assert.Equal(installed, output.Trim());
    }
}
