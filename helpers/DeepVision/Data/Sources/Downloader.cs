using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

using DeepVision.Storage;

namespace DeepVision.Data;

/// <summary>A download that could not be completed from any mirror; the message lists what each mirror answered.</summary>
public sealed class DownloadException(string message) : Exception(message);

/// <summary>
/// Downloads a file safely: tries each mirror in turn, resumes a partial download where the server allows (HTTP
/// Range), verifies the checksum (MD5, or a SHA-256 prefix for model weights), and only then renames the temporary file into place. A lock file keeps two processes
/// (two notebooks) from writing the same file; an interrupted run leaves at most a <c>.part</c> file, never a
/// corrupt dataset file.
/// </summary>
public sealed class Downloader
{
    private readonly HttpClient _http;
    private readonly TextWriter? _progress;

    /// <summary>
    /// Uses <paramref name="http"/> (a new client by default) and reports progress to <paramref name="progress"/>: in a
    /// notebook as one progress line that updates in place, elsewhere as a line a second.
    /// </summary>
    public Downloader(HttpClient? http = null, TextWriter? progress = null)
    {
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        _progress = progress;
    }

    /// <summary>Attempts per mirror: a dropped connection is resumed from where it stopped.</summary>
    public int AttemptsPerMirror { get; init; } = 3;

    /// <summary>Downloads to <paramref name="destination"/> unless it already exists with the expected MD5.</summary>
    public Task DownloadAsync(IReadOnlyList<string> urls, string destination, string? md5, CancellationToken cancellation = default) =>
        DownloadAsync(urls, destination, path => CheckMd5(path, md5), cancellation);

    private static string? CheckMd5(string path, string? md5)
    {
        if (md5 is null) return null;
        var actual = Md5Of(path);
        return actual == md5 ? null : $"MD5 {actual}, expected {md5}";
    }

    /// <summary>
    /// Downloads to <paramref name="destination"/> unless it already exists and passes <paramref name="verify"/>,
    /// which returns null for a good file or says what is wrong with it.
    /// </summary>
    public async Task DownloadAsync(IReadOnlyList<string> urls, string destination, Func<string, string?> verify, CancellationToken cancellation = default)
    {
        if (urls.Count == 0) throw new ArgumentException("At least one URL is needed.", nameof(urls));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        using var fileLock = await FileLock.AcquireAsync(destination + ".lock", cancellation);
        if (File.Exists(destination) && verify(destination) is null) return;

        var part = destination + ".part";
        var failures = new List<string>();
        foreach (var url in urls)
        {
            for (var attempt = 1; attempt <= AttemptsPerMirror; attempt++)
            {
                try
                {
                    await FetchAsync(url, part, cancellation);
                    if (verify(part) is { } problem)
                    {
                        File.Delete(part);
                        failures.Add($"{url}: checksum mismatch ({problem})");
                        break; // This mirror serves other bytes: try the next one.
                    }
                    AtomicFile.MoveIntoPlace(part, destination);
                    return;
                }
                catch (HttpRequestException e) when (e.StatusCode is { } status && (int)status is >= 400 and < 500 && status != HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    failures.Add($"{url}: HTTP {(int)status} {status}");
                    break; // Not there: retrying will not help.
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancellation.IsCancellationRequested)
                {
                    failures.Add($"{url}: attempt {attempt}: {e.Message}");
                }
            }
        }
        throw new DownloadException(
            $"Could not download {Path.GetFileName(destination)}:\n  {string.Join("\n  ", failures)}\n" +
            $"Without network, copy the file to {destination} yourself (or set DEEPVISION_DATA to a folder that has it).");
    }

    private async Task FetchAsync(string url, string part, CancellationToken cancellation)
    {
        var existing = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (existing > 0) request.Headers.Range = new RangeHeaderValue(existing, null);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            File.Delete(part); // The partial file does not match this server's: start over.
            throw new IOException("the server refused to resume; starting over");
        }
        response.EnsureSuccessStatusCode();
        var resumed = response.StatusCode == HttpStatusCode.PartialContent;
        var total = response.Content.Headers.ContentLength is { } length ? length + (resumed ? existing : 0) : (long?)null;
        await using var body = await response.Content.ReadAsStreamAsync(cancellation);
        await using var file = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None);
        var buffer = new byte[1 << 16];
        var written = resumed ? existing : 0;
        var lastReport = DateTime.MinValue;
        var name = Path.GetFileName(part[..^5]);
        var live = _progress is not null && LiveDisplay.InKernel ? LiveDisplay.Show($"downloading {name}…") : null;
        void Report(string line)
        {
            if (live is not null) live.Update(line);
            else _progress?.WriteLine(line);
        }
        int read;
        while ((read = await body.ReadAsync(buffer, cancellation)) > 0)
        {
            await file.WriteAsync(buffer.AsMemory(0, read), cancellation);
            written += read;
            if (_progress is not null && DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(1))
            {
                lastReport = DateTime.UtcNow;
                Report(ProgressBar(name, written, total));
            }
        }
        if (total is { } expected && written != expected)
        {
            live?.Update($"{ProgressBar(name, written, total)}: the connection closed early");
            throw new IOException($"the connection closed after {written} of {expected} bytes");
        }
        Report(ProgressBar(name, written, total ?? written));
    }

    /// <summary>A one-line text progress bar: "name [#####-----] 48% 12.0/25.0 MB".</summary>
    public static string ProgressBar(string name, long done, long? total)
    {
        const int width = 30;
        if (total is not { } t || t <= 0) return $"{name} {done / 1e6:F1} MB";
        var fraction = Math.Clamp((double)done / t, 0, 1);
        var filled = (int)Math.Round(fraction * width);
        return $"{name} [{new string('#', filled)}{new string('-', width - filled)}] {fraction * 100:F0}% {done / 1e6:F1}/{t / 1e6:F1} MB";
    }

    /// <summary>The MD5 of a file, as lower-case hex.</summary>
    public static string Md5Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(MD5.HashData(stream)).ToLowerInvariant();
    }
}
