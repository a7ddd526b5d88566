using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DeepVision.Runner.Execution;

namespace DeepVision.Runner.Packages;

/// <summary>What a restore made available: managed assemblies to reference and native libraries to resolve.</summary>
public sealed record RestoredPackages(
    IReadOnlyList<string> Assemblies,
    IReadOnlyList<string> NativeLibraries,
    IReadOnlyDictionary<string, string> ResolvedVersions,
    bool FromCache);

/// <summary>A restore that failed: the message lists NuGet's errors and what to check.</summary>
public sealed class PackageRestoreException(string message) : Exception(message);

/// <summary>
/// Restores the packages a notebook asks for with a real <c>dotnet restore</c> of a generated project (honouring the
/// nuget.config nearest to the notebook), the way the Polyglot kernel does. A restore is cached by the exact package
/// set: an unchanged set is read back from the cache without running dotnet again.
/// </summary>
public sealed class PackageRestorer
{
    private readonly string _cacheRoot;
    private readonly string? _nugetConfig;
    private readonly List<PackageRequest> _packages = [];
    private readonly List<string> _sources = [];
    private readonly Dictionary<string, string> _resolved = new(StringComparer.OrdinalIgnoreCase);

    public PackageRestorer(string cacheRoot, string? nugetConfig)
    {
        _cacheRoot = cacheRoot;
        _nugetConfig = nugetConfig;
    }

    /// <summary>How many times this restorer ran <c>dotnet restore</c> (the rest came from the cache).</summary>
    public int RestoreCount { get; private set; }

    public static string DefaultCacheRoot =>
        Environment.GetEnvironmentVariable("DEEPVISION_RUNNER_CACHE") is { Length: > 0 } root
            ? root
            : Path.Combine(UserCacheFolder(), "runner");

    /// <summary>~/.cache/deepvision (XDG_CACHE_HOME honoured), or %LOCALAPPDATA%\deepvision on Windows.</summary>
    public static string UserCacheFolder()
    {
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "deepvision");
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(xdg is { Length: > 0 } ? xdg : Path.Combine(home, ".cache"), "deepvision");
    }

    /// <summary>The nuget.config nearest to a folder (walking up), or null for NuGet's own defaults.</summary>
    public static string? FindNuGetConfig(string folder)
    {
        for (var dir = new DirectoryInfo(folder); dir != null; dir = dir.Parent)
            foreach (var name in new[] { "nuget.config", "NuGet.Config", "NuGet.config" })
            {
                var candidate = Path.Combine(dir.FullName, name);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>
    /// Adds the requests of one cell. Returns null when nothing new is needed; otherwise restores the whole set so far.
    /// </summary>
    public RestoredPackages? Add(IReadOnlyList<PackageRequest> requests, IReadOnlyList<string> sources)
    {
        var changed = false;
        foreach (var source in sources)
            if (!_sources.Contains(source)) { _sources.Add(source); changed = true; }
        foreach (var request in requests)
        {
            var existing = _packages.FirstOrDefault(p => string.Equals(p.Name, request.Name, StringComparison.OrdinalIgnoreCase));
            if (existing is null) { _packages.Add(request); changed = true; continue; }
            if (IsFloating(request.Version)) continue; // A wildcard reuses the version already loaded.
            var loaded = _resolved.GetValueOrDefault(existing.Name) ?? existing.Version;
            if (!string.Equals(loaded, request.Version, StringComparison.OrdinalIgnoreCase))
                throw new PackageRestoreException(
                    $"{request.Name} version {request.Version} cannot be added because version {loaded} was added previously.");
        }
        return changed ? Restore() : null;
    }

    private static bool IsFloating(string? version) => version is null || version.Contains('*');

    private RestoredPackages Restore()
    {
        var tfm = $"net{Environment.Version.Major}.0";
        var rid = RuntimeInformation.RuntimeIdentifier;
        var project = GenerateProject(tfm, rid);
        var key = Hash(project + "\n" + (_nugetConfig is null ? "" : File.ReadAllText(_nugetConfig)));
        var dir = Path.Combine(_cacheRoot, "restore", key);
        var assetsPath = Path.Combine(dir, "obj", "project.assets.json");
        var stamp = Path.Combine(dir, "restore.complete");
        Directory.CreateDirectory(dir);

        var fromCache = true;
        using (AcquireLock(Path.Combine(dir, "restore.lock")))
        {
            if (!File.Exists(stamp) || !File.Exists(assetsPath))
            {
                fromCache = false;
                File.Delete(stamp);
                File.WriteAllText(Path.Combine(dir, "notebook-packages.csproj"), project);
                RunDotnetRestore(dir);
                // Only a finished restore marks the folder usable: an interrupted one is redone next time.
                File.WriteAllText(stamp, DateTime.UtcNow.ToString("O"));
                RestoreCount++;
            }
        }
        return ReadAssets(assetsPath, $"{tfm}/{rid}", fromCache);
    }

    private string GenerateProject(string tfm, string rid)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<Project Sdk=\"Microsoft.NET.Sdk\">");
        sb.AppendLine("  <!-- Generated by the DeepVision notebook runner to restore a notebook's #r \"nuget: …\" packages. -->");
        sb.AppendLine("  <PropertyGroup>");
        sb.AppendLine($"    <TargetFramework>{tfm}</TargetFramework>");
        sb.AppendLine($"    <RuntimeIdentifier>{rid}</RuntimeIdentifier>");
        sb.AppendLine("    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>");
        sb.AppendLine("    <NoWarn>NU1603;NU1701;NU1608</NoWarn>");
        if (_sources.Count > 0)
            sb.AppendLine($"    <RestoreAdditionalProjectSources>{System.Security.SecurityElement.Escape(string.Join(';', _sources))}</RestoreAdditionalProjectSources>");
        sb.AppendLine("  </PropertyGroup>");
        sb.AppendLine("  <ItemGroup>");
        foreach (var p in _packages)
        {
            var version = p.Version ?? "*";
            sb.AppendLine($"    <PackageReference Include=\"{System.Security.SecurityElement.Escape(p.Name)}\" Version=\"{System.Security.SecurityElement.Escape(version)}\" />");
        }
        sb.AppendLine("  </ItemGroup>");
        sb.AppendLine("</Project>");
        return sb.ToString();
    }

    private void RunDotnetRestore(string dir)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        foreach (var arg in new[] { "restore", "notebook-packages.csproj", "--nologo", "-v", "quiet", "-p:ImportDirectoryBuildProps=false", "-p:ImportDirectoryPackagesProps=false" })
            start.ArgumentList.Add(arg);
        if (_nugetConfig is not null) { start.ArgumentList.Add("--configfile"); start.ArgumentList.Add(_nugetConfig); }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start) ?? throw new PackageRestoreException("could not start 'dotnet restore'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new PackageRestoreException($"Restoring {string.Join("; ", _packages)} did not finish in 10 minutes.");
        }
        if (process.ExitCode == 0) return;

        var output = stdout.Result + stderr.Result;
        var errors = output.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
            .Select(l => l.Contains(": error ") ? l[(l.IndexOf(": error ", StringComparison.Ordinal) + 2)..] : l)
            .Select(l => l.Contains(" [") ? l[..l.LastIndexOf(" [", StringComparison.Ordinal)] : l)
            .Distinct()
            .ToList();
        var hint = errors.Any(e => e.Contains("NU1301") || e.Contains("NU1801"))
            ? "A package source could not be reached: check the network (packages already in the NuGet cache restore offline)."
            : errors.Any(e => e.Contains("NU1101") || e.Contains("NU1102") || e.Contains("NU1103"))
                ? "Check the package name and version in the #r \"nuget: Name, Version\" line."
                : "See NuGet's errors above.";
        throw new PackageRestoreException(
            $"Restoring {string.Join("; ", _packages)} failed:\n  {string.Join("\n  ", errors.DefaultIfEmpty(output.Trim()))}\n{hint}");
    }

    private RestoredPackages ReadAssets(string assetsPath, string targetKey, bool fromCache)
    {
        var assets = JsonNode.Parse(File.ReadAllText(assetsPath))!.AsObject();
        var packageFolder = assets["packageFolders"]!.AsObject().First().Key;
        var libraries = assets["libraries"]!.AsObject();
        var target = assets["targets"]?[targetKey]?.AsObject()
                     ?? throw new PackageRestoreException($"{assetsPath} has no target '{targetKey}'; delete {Path.GetDirectoryName(assetsPath)} and run again.");
        var assemblies = new List<string>();
        var natives = new List<string>();
        foreach (var (id, entry) in target)
        {
            if (entry?["type"]?.GetValue<string>() != "package") continue;
            var libraryPath = libraries[id]?["path"]?.GetValue<string>() ?? id.ToLowerInvariant();
            var root = Path.Combine(packageFolder, libraryPath);
            assemblies.AddRange(Files(entry["runtime"], root));
            natives.AddRange(Files(entry["native"], root));
            var slash = id.IndexOf('/');
            _resolved[id[..slash]] = id[(slash + 1)..];
        }
        return new RestoredPackages(assemblies, natives, new Dictionary<string, string>(_resolved), fromCache);
    }

    private static IEnumerable<string> Files(JsonNode? group, string root) =>
        group is JsonObject files
            ? files.Select(f => f.Key).Where(f => !f.EndsWith("_._", StringComparison.Ordinal)).Select(f => Path.GetFullPath(Path.Combine(root, f)))
            : [];

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
        }
    }

    /// <summary>The dotnet host running this process (the provisioned one on old Linux hosts), else dotnet on PATH.</summary>
    internal static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static string Hash(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
}
