using System.Diagnostics;
using System.Text.Json.Nodes;
using DeepVision.Devices;

namespace DeepVision.Tests.Devices;

/// <summary>
/// TorchSharp's own libtorch is used even when another libtorch_cpu.so comes first on the library path (what Debian's
/// libtorch-dev does to a notebook kernel), and a foreign one that got loaded anyway is named with the fix.
/// </summary>
[Collection(DeepVision.Tests.Notebooks.NotebookToolCollection.Name)]
public class ForeignLibTorchTests
{
    /// <summary>A shared library named libtorch_cpu.so (soname too) that is not libtorch: what the loader would find first.</summary>
    private static string ForeignLibTorchFolder(TempFolder temp)
    {
        var source = Path.Combine(temp.Path, "foreign.c");
        File.WriteAllText(source, "int not_libtorch_at_all = 1;\n");
        var folder = Directory.CreateDirectory(Path.Combine(temp.Path, "lib")).FullName;
        var compiler = new[] { "/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("This test builds a stand-in foreign libtorch_cpu.so with a C compiler, and none is installed (/usr/bin/cc, gcc or clang): install one (Debian: apt-get install gcc).");
        var start = new ProcessStartInfo(compiler) { RedirectStandardError = true };
        foreach (var a in new[] { "-shared", "-fPIC", "-Wl,-soname,libtorch_cpu.so", "-o", Path.Combine(folder, "libtorch_cpu.so"), source }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{compiler} failed: {errors}");
        return folder;
    }

    [Fact]
    public void A_notebook_runs_in_the_kernel_with_a_foreign_libtorch_first_on_the_library_path()
    {
        using var temp = new TempFolder();
        var foreign = ForeignLibTorchFolder(temp);
        var output = Path.Combine(temp.Path, "out");
        var (code, stdout, stderr) = DotnetTool.Run("notebooks.cs", new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = foreign },
            "run", "--profile", "quick", "--out", output, Path.Combine(RepoPaths.Root, "notebooks", "00-setup-and-tensors.ipynb"));
        Assert.True(code == 0, $"notebook 00 failed with libtorch_cpu.so of {foreign} first on LD_LIBRARY_PATH:\n{stdout}\n{stderr}");
        var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "00-setup-and-tensors.ipynb")))!;
        var text = executed.ToJsonString();
        Assert.Contains("device: CPU", text);
        Assert.DoesNotContain("Unable to load shared library", text);
    }

    [Fact]
    public void A_foreign_libtorch_already_loaded_is_named_with_the_fix()
    {
        var own = NativeTorch.OwnFiles(Path.GetDirectoryName(typeof(torch).Assembly.Location)!, AppContext.BaseDirectory);
        Assert.Equal(["libc10.so", "libgomp-98b21ff3.so.1", "libtorch_cpu.so", "libtorch.so", "libLibTorchSharp.so"], own.Select(Path.GetFileName));
        string Mapped(string path) => $"7f0000000000-7f0000001000 r-xp 00000000 fd:01 12345 {path}";
        // The process's own files pass, whatever else is mapped.
        NativeTorch.CheckNoForeignLibTorch(own, own.Select(Mapped).Append(Mapped("/usr/lib/x86_64-linux-gnu/libm.so.6")));
        var foreign = "/usr/lib/x86_64-linux-gnu/libtorch_cpu.so";
        var error = Assert.Throws<InvalidOperationException>(() => NativeTorch.CheckNoForeignLibTorch(own, [Mapped(foreign)]));
        Assert.Contains(foreign, error.Message);
        Assert.Contains("apt-get remove libtorch-dev", error.Message);
        Assert.Contains("restart the kernel", error.Message);
        // And this process has TorchSharp's own libtorch only.
        Assert.Equal(own, NativeTorch.LoadOwnLibraries());
    }
}
