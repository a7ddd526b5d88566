using System.Formats.Tar;
using System.IO.Compression;
using DeepVision.Storage;

namespace DeepVision.Data;

/// <summary>
/// Finds a dataset's folder, in this order: an explicit path; <c>$DEEPVISION_DATA/&lt;folder&gt;</c>; the user's cache
/// (<c>~/.cache/deepvision/&lt;folder&gt;</c>, <c>%LOCALAPPDATA%\deepvision</c> on Windows); otherwise it downloads into
/// the cache. An explicit path that lacks the files is an error, never a silent fallback.
/// </summary>
public static class DataLocation
{
    /// <summary>The user's cache folder for datasets (<see cref="UserCache.Root"/>; DEEPVISION_CACHE moves it).</summary>
    public static string CacheFolder => UserCache.Root;

    /// <summary>Where a dataset's files are; downloads them into the cache when no folder has them.</summary>
    public static string Resolve(DatasetSource source, string? root = null, Downloader? downloader = null, TextWriter? log = null)
    {
        if (root is not null)
        {
            foreach (var candidate in new[] { root, Path.Combine(root, source.Folder) })
                if (source.IsCompleteIn(candidate)) return Path.GetFullPath(candidate);
            // Name what is missing where the files were meant to be: the folder itself if it holds any of them.
            var meant = source.MissingFrom(root).Count() < source.RequiredFiles.Count() ? root : Path.Combine(root, source.Folder);
            var missing = source.MissingFrom(meant).ToList();
            throw new DatasetFormatException(root,
                $"the {source.Folder} files are not here (looked in {root} and {Path.Combine(root, source.Folder)}); missing: {string.Join(", ", missing)}.");
        }
        if (Environment.GetEnvironmentVariable("DEEPVISION_DATA") is { Length: > 0 } data && source.IsCompleteIn(Path.Combine(data, source.Folder)))
            return Path.GetFullPath(Path.Combine(data, source.Folder));
        var cached = Path.Combine(CacheFolder, source.Folder);
        if (source.IsCompleteIn(cached)) return cached;
        Download(source, cached, downloader ?? new Downloader(progress: log ?? Console.Out), log ?? Console.Out);
        return cached;
    }

    /// <summary>Downloads (and unpacks) a dataset into <paramref name="folder"/>; the folder appears only once complete.</summary>
    public static void Download(DatasetSource source, string folder, Downloader downloader, TextWriter log)
    {
        log.WriteLine($"Downloading {source.Folder} into {folder} ...");
        Directory.CreateDirectory(folder);
        if (source.Archive is null)
        {
            foreach (var file in source.Files)
                downloader.DownloadAsync(file.Urls, Path.Combine(folder, file.Name), file.Md5).GetAwaiter().GetResult();
            return;
        }
        var archive = Path.Combine(CacheFolder, "downloads", source.Archive.Name);
        downloader.DownloadAsync(source.Archive.Urls, archive, source.Archive.Md5).GetAwaiter().GetResult();
        // Unpack next to the target, then move into place: an interrupted unpack leaves no half-filled folder.
        var staging = folder + ".unpacking-" + Environment.ProcessId;
        if (Directory.Exists(staging)) Directory.Delete(staging, true);
        Directory.CreateDirectory(staging);
        ExtractTarGz(archive, staging);
        var content = source.ArchiveSubfolder is null ? staging : Path.Combine(staging, source.ArchiveSubfolder);
        if (!source.IsCompleteIn(content))
            throw new DatasetFormatException(archive,
                $"the archive does not hold the expected files ({string.Join(", ", source.MissingFrom(content).Take(5))} missing); delete it so that it is downloaded again.");
        foreach (var entry in Directory.EnumerateFileSystemEntries(content))
        {
            var target = Path.Combine(folder, Path.GetFileName(entry));
            if (Directory.Exists(entry)) { if (Directory.Exists(target)) Directory.Delete(target, true); Directory.Move(entry, target); }
            else File.Move(entry, target, overwrite: true);
        }
        Directory.Delete(staging, true);
    }

    private static void ExtractTarGz(string archive, string destination)
    {
        using var file = File.OpenRead(archive);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gzip, destination, overwriteFiles: true);
    }
}
