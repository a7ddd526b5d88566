using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace DeepVision.Devices;

/// <summary>
/// Makes TorchSharp load its own libtorch on Linux, even where another one is on the library path. TorchSharp's first
/// load in a notebook kernel asks for the bare name <c>torch_cpu</c>, which the system resolves through
/// LD_LIBRARY_PATH and ldconfig before TorchSharp's package folder: Debian's <c>libtorch-dev</c> (a recommendation of
/// python3-torch) puts libtorch 1.13 there, and TorchSharp then fails with "Unable to load shared library
/// 'LibTorchSharp'". Loading TorchSharp's own files by full path first, in dependency order, settles every later
/// load by name on them (the loader matches a name against the libraries already loaded). What cannot be settled,
/// such as a foreign libtorch loaded before this ran, is reported with the file and the fix.
/// </summary>
public static class NativeTorch
{
    // Dependencies first: each file's own needs are then met by a library already loaded, never looked up on the path.
    private static readonly string[] LoadOrder = ["libc10.so", "libgomp-*.so.1", "libtorch_cpu.so", "libtorch.so", "libLibTorchSharp.so"];
    private static readonly object Gate = new();
    private static IReadOnlyList<string>? loaded;

    /// <summary>
    /// Loads TorchSharp's native libraries from its own package (or application) folder, once per process, and checks
    /// that no other libtorch is loaded. Returns the files loaded (empty off Linux x64, or where TorchSharp's files are
    /// not found, for example with a CUDA package). Called by <see cref="DeviceSetup.Setup"/> before anything else.
    /// </summary>
    public static IReadOnlyList<string> LoadOwnLibraries()
    {
        lock (Gate)
        {
            if (loaded is not null) return loaded;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return loaded = [];
            var own = OwnFiles(Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "", AppContext.BaseDirectory);
            foreach (var file in own)
            {
                if (!NativeLibrary.TryLoad(file, out _))
                {
                    // The loader's own words (a missing GLIBCXX version, say) come from a load without Try.
                    try { NativeLibrary.Load(file); }
                    catch (DllNotFoundException e) { throw new DllNotFoundException($"TorchSharp's native library {file} does not load: {e.Message}{Hint(e.Message)}", e); }
                }
            }
            CheckNoForeignLibTorch(own, File.Exists("/proc/self/maps") ? File.ReadAllLines("/proc/self/maps") : []);
            return loaded = own;
        }
    }

    /// <summary>
    /// TorchSharp's native files in load order, found beside TorchSharp.dll (an application's output), in the folder
    /// TorchSharp consolidates them into in a kernel (<c>lib/net8.0/cpu</c>), or in the NuGet packages it came from
    /// (<c>torchsharp/V/runtimes</c> and the <c>libtorch-cpu-linux-x64</c> version that TorchSharp-cpu V names); empty
    /// when none of these holds them all.
    /// </summary>
    internal static IReadOnlyList<string> OwnFiles(string torchSharpFolder, string applicationFolder)
    {
        var candidates = new List<string[]> { new[] { torchSharpFolder }, new[] { Path.Combine(torchSharpFolder, "cpu") } };
        // .../packages/torchsharp/<version>/lib/<tfm>/TorchSharp.dll
        var home = Path.GetFullPath(Path.Combine(torchSharpFolder, "..", ".."));
        var packages = Path.GetFullPath(Path.Combine(home, ".."));
        if (Path.GetFileName(packages).Equals("torchsharp", StringComparison.OrdinalIgnoreCase))
        {
            var version = Path.GetFileName(home);
            var root = Path.GetFullPath(Path.Combine(packages, ".."));
            if (LibTorchVersion(root, version) is { } libTorch)
                candidates.Add([Path.Combine(home, "runtimes", "linux-x64", "native"), Path.Combine(root, "libtorch-cpu-linux-x64", libTorch, "runtimes", "linux-x64", "native")]);
        }
        candidates.Add([applicationFolder]);
        candidates.Add([Path.Combine(applicationFolder, "runtimes", "linux-x64", "native")]);
        foreach (var folders in candidates)
        {
            var files = LoadOrder.Select(name => folders.Where(Directory.Exists).SelectMany(f => Directory.GetFiles(f, name)).FirstOrDefault()).ToList();
            if (files.All(f => f is not null)) return files!;
        }
        return [];
    }

    /// <summary>The libtorch-cpu-linux-x64 version that the TorchSharp-cpu package of <paramref name="torchSharpVersion"/> depends on.</summary>
    private static string? LibTorchVersion(string packagesRoot, string torchSharpVersion)
    {
        var nuspec = Path.Combine(packagesRoot, "torchsharp-cpu", torchSharpVersion, "torchsharp-cpu.nuspec");
        if (!File.Exists(nuspec)) return null;
        var match = Regex.Match(File.ReadAllText(nuspec), "id=\"libtorch-cpu-linux-x64\"\\s+version=\"\\[?([^\",\\]]+)", RegexOptions.IgnoreCase);
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>
    /// Fails, naming the file and the fix, when the process has a libtorch_cpu.so or libc10.so loaded (lines of
    /// /proc/self/maps) other than TorchSharp's own.
    /// </summary>
    internal static void CheckNoForeignLibTorch(IReadOnlyList<string> own, IEnumerable<string> mappedLines)
    {
        var ownByName = own.ToDictionary(f => Path.GetFileName(f), f => f, StringComparer.Ordinal);
        foreach (var path in mappedLines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length >= 6).Select(p => p[^1]).Distinct())
        {
            var name = Path.GetFileName(path);
            if (name is not ("libtorch_cpu.so" or "libc10.so")) continue;
            if (ownByName.TryGetValue(name, out var mine) && (path == mine || SameFile(path, mine))) continue;
            var source = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is { Length: > 0 } ld && ld.Split(':').Contains(Path.GetDirectoryName(path))
                ? $"its folder is on LD_LIBRARY_PATH ({ld}): take it off, or start the kernel without it"
                : "it is on the system's library path (Debian's libtorch-dev puts libtorch 1.13 there): remove it with 'sudo apt-get remove libtorch-dev' (python3-torch keeps working)";
            throw new InvalidOperationException(
                $"Another libtorch is loaded in this process: {path}, not TorchSharp's own ({mine ?? "not found"}), so every TorchSharp call would fail. " +
                $"It was found first because {source}; then restart the kernel (or the program).");
        }
    }

    // A symbolic link or a copy under another path is the same library when its length matches.
    private static bool SameFile(string a, string b)
    {
        try { return new FileInfo(a).Length == new FileInfo(b).Length; }
        catch (IOException) { return false; }
    }

    private static string Hint(string message) => message.Contains("GLIBCXX", StringComparison.Ordinal)
        ? " (this system's libstdc++ is older than TorchSharp 0.107 needs, GLIBCXX_3.4.32 of GCC 13: see the README's Troubleshooting)"
        : "";
}
