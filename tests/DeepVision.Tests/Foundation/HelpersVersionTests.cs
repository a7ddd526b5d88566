using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace DeepVision.Tests.Foundation;

/// <summary>
/// The helpers' version follows their sources: NuGet caches a package by id and version, so helpers changed under an
/// unchanged version would never reach a learner who restored that version before. Directory.Packages.props keeps the
/// hash of the sources beside the version, and the earlier versions that notebooks still pin with the commit to build
/// each from.
/// </summary>
public class HelpersVersionTests
{
    private static readonly XDocument Props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props"));

    /// <summary>SHA-256 over helpers/DeepVision's C# files and project file: each relative path and its text (LF line ends), in ordinal order.</summary>
    internal static string SourcesHash()
    {
        var folder = Path.Combine(RepoPaths.Root, "helpers", "DeepVision");
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var file in files)
            text.Append(file).Append('\n').Append(File.ReadAllText(Path.Combine(folder, file)).Replace("\r\n", "\n")).Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    internal static string CurrentVersion => Props.Descendants("DeepVisionVersion").Single().Value;

    internal static IReadOnlyList<(string Version, string Commit)> EarlierVersions =>
        [.. Props.Descendants("DeepVisionEarlierVersion").Select(e => ((string)e.Attribute("Include")!, (string)e.Attribute("Commit")!))];

    [Fact]
    public void The_sources_hash_beside_the_version_is_that_of_the_sources()
    {
        var committed = Props.Descendants("DeepVisionSourcesHash").Single().Value;
        var actual = SourcesHash();
        Assert.True(committed == actual,
            $"helpers/DeepVision changed since DeepVisionVersion {CurrentVersion} was given its hash. Raise DeepVisionVersion in " +
            $"Directory.Packages.props (unless {CurrentVersion} has never landed), list the version notebooks still pin under " +
            $"DeepVisionEarlierVersion with its last commit, and set DeepVisionSourcesHash to {actual}.");
    }

    [Fact]
    public void Every_earlier_version_is_older_and_names_a_commit_that_had_it()
    {
        var current = Version.Parse(CurrentVersion);
        foreach (var (version, commit) in EarlierVersions)
        {
            Assert.True(Version.Parse(version) < current, $"earlier helpers version {version} is not older than the current {current}");
            Assert.Matches("^[0-9a-f]{40}$", commit);
            if (!Directory.Exists(Path.Combine(RepoPaths.Root, ".git")) && !File.Exists(Path.Combine(RepoPaths.Root, ".git")))
                throw new InvalidOperationException($"{RepoPaths.Root} is not a git clone, so the commit of helpers {version} cannot be checked (and ./build.sh build cannot pack it): test a clone.");
            var start = new ProcessStartInfo("git", ["-C", RepoPaths.Root, "show", $"{commit}:Directory.Packages.props"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var git = Process.Start(start)!;
            var props = git.StandardOutput.ReadToEnd();
            var error = git.StandardError.ReadToEnd();
            git.WaitForExit();
            Assert.True(git.ExitCode == 0, $"commit {commit} of helpers {version} is not in this clone: {error}");
            Assert.Equal(version, XDocument.Parse(props).Descendants("DeepVisionVersion").Single().Value);
        }
    }
}
