// Downloads every dataset the notebooks' full profiles use into the user's dataset cache, where the helpers find them.
//
//   dotnet run tools/data.cs -- [--mirror URL] [dataset...]      (./build.sh data runs it)
//
// Datasets: mnist, fashion-mnist, cifar-10, imagenette2-160, imagenette2-320 (default: all). Each file is checked
// against its published MD5; it is written as name.part and renamed only once complete and verified, and an archive is
// unpacked beside its folder and moved into place, so an interrupted or corrupt download leaves nothing half-written
// (and a rerun resumes the .part). --mirror fetches every file from URL/<file name> instead (a classroom server).
// Without network it says so in one line and exits with 1.
#:project ../helpers/DeepVision/DeepVision.csproj
#:property Nullable=enable
#:property TreatWarningsAsErrors=true

using System.Net.Sockets;
using DeepVision.Data;

string? mirror = null;
var wanted = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--mirror" && i + 1 < args.Length) mirror = args[++i].TrimEnd('/');
    else if (args[i] is "-h" or "--help") { Console.WriteLine("usage: dotnet run tools/data.cs -- [--mirror URL] [dataset...]"); return 0; }
    else wanted.Add(args[i]);
}

var known = DatasetCatalog.All.ToDictionary(s => s.Folder);
var unknown = wanted.Where(w => !known.ContainsKey(w)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"data: unknown dataset {string.Join(", ", unknown)}; known: {string.Join(", ", known.Keys)}.");
    return 2;
}

DatasetFile Mirrored(DatasetFile file) => mirror is null || file.Urls.Count == 0 ? file : file with { Urls = [$"{mirror}/{Path.GetFileName(file.Name)}"] };

var sources = (wanted.Count == 0 ? DatasetCatalog.All : wanted.Select(w => known[w])).ToList();
Console.WriteLine($"Datasets go to {DataLocation.CacheFolder} (DEEPVISION_CACHE moves it).");
using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
var downloader = new Downloader(http, Console.Out);
foreach (var original in sources)
{
    var source = original with { Files = [.. original.Files.Select(Mirrored)], Archive = original.Archive is null ? null : Mirrored(original.Archive) };
    var folder = Path.Combine(DataLocation.CacheFolder, source.Folder);
    if (source.IsCompleteIn(folder))
    {
        // Present: the per-file MD5s are checked again (the archives' were checked when they were unpacked).
        foreach (var file in source.Files.Where(f => f.Md5 is not null))
            await downloader.DownloadAsync(file.Urls, Path.Combine(folder, file.Name), file.Md5);
        Console.WriteLine($"{source.Folder}: present in {folder}");
        continue;
    }
    try
    {
        DataLocation.Download(source, folder, downloader, Console.Out);
        Console.WriteLine($"{source.Folder}: downloaded into {folder}");
    }
    catch (Exception e) when (e is DownloadException or HttpRequestException or DatasetFormatException)
    {
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        var firstUrl = (source.Archive?.Urls ?? source.Files.SelectMany(f => f.Urls)).First();
        Console.Error.WriteLine(await IsOffline(firstUrl)
            ? $"data: no network: {new Uri(firstUrl).Host} cannot be reached, so {source.Folder} was not downloaded (nothing half-written is left); run ./build.sh data again when online."
            : $"data: {source.Folder} failed: {e.Message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Skip(1).FirstOrDefault() ?? e.Message}");
        return 1;
    }
}
return 0;

// True when the host does not answer at all (no DNS, no route, refused), as opposed to answering with an error.
static async Task<bool> IsOffline(string url)
{
    try
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        return false;
    }
    catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError)
    {
        return true;
    }
    catch (TaskCanceledException)
    {
        return true;
    }
}
