using System.Net;
using DeepVision.Data;
using DeepVision.Weights;

namespace DeepVision.Tests.Data;

/// <summary>
/// The real download code against a local HTTP server on loopback serving a real Fashion-MNIST file (the committed 2,000-image sample):
/// success, 404, a truncated body, a wrong checksum, and a connection dropped mid-file then resumed.
/// </summary>
public class DownloaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dv-download").FullName;
    private static readonly string RealFile = RepoPaths.Samples("fashion-mnist", "train-images-idx3-ubyte.gz");
    // Computed here by .NET's MD5, independently of the downloader's own checksum code.
    private static readonly string RealMd5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(File.ReadAllBytes(RealFile)));

    public void Dispose() => Directory.Delete(_dir, true);

    internal static async Task Serve(HttpListenerContext context, byte[] body, int? stopAfter = null)
    {
        var response = context.Response;
        long start = 0;
        var range = context.Request.Headers["Range"];
        if (range is not null && range.StartsWith("bytes=") && long.TryParse(range[6..].TrimEnd('-'), out var from))
        {
            start = from;
            response.StatusCode = 206;
            response.AddHeader("Content-Range", $"bytes {from}-{body.Length - 1}/{body.Length}");
        }
        response.ContentLength64 = body.Length - start;
        var length = stopAfter is { } stop ? Math.Min(stop, body.Length - (int)start) : body.Length - (int)start;
        await response.OutputStream.WriteAsync(body.AsMemory((int)start, length));
        await response.OutputStream.FlushAsync();
        if (stopAfter is not null) response.Abort(); // The connection drops mid-file.
        else response.Close();
    }

    private Downloader NewDownloader() => new(new HttpClient { Timeout = TimeSpan.FromSeconds(20) }) { AttemptsPerMirror = 3 };

    [Fact]
    public async Task A_real_file_downloads_and_verifies()
    {
        var body = File.ReadAllBytes(RealFile);
        using var server = new LoopbackServer((c, _) => Serve(c, body));
        var target = Path.Combine(_dir, "train-images-idx3-ubyte.gz");
        await NewDownloader().DownloadAsync([server.Url + "train-images-idx3-ubyte.gz"], target, RealMd5);
        Assert.Equal(RealMd5, Downloader.Md5Of(target));
        Assert.Equal([target], Directory.GetFiles(_dir)); // no .part or .lock left behind
        using var images = Idx.ReadImages(target);
        Assert.Equal(2000, images.shape[0]);
        // Already there with the right checksum: no second request.
        await NewDownloader().DownloadAsync([server.Url + "train-images-idx3-ubyte.gz"], target, RealMd5);
        Assert.Single(server.RangeHeaders);
    }

    [Fact]
    public async Task A_404_mirror_falls_back_to_the_next()
    {
        var body = File.ReadAllBytes(RealFile);
        using var server = new LoopbackServer((c, _) =>
        {
            if (c.Request.Url!.AbsolutePath.StartsWith("/missing")) { c.Response.StatusCode = 404; c.Response.Close(); return Task.CompletedTask; }
            return Serve(c, body);
        });
        var target = Path.Combine(_dir, "file.gz");
        await NewDownloader().DownloadAsync([server.Url + "missing/file.gz", server.Url + "ok/file.gz"], target, RealMd5);
        Assert.Equal(RealMd5, Downloader.Md5Of(target));

        File.Delete(target);
        var e = await Assert.ThrowsAsync<DownloadException>(() => NewDownloader().DownloadAsync([server.Url + "missing/file.gz"], target, RealMd5));
        Assert.Contains("HTTP 404", e.Message);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task A_truncated_body_fails_without_leaving_a_dataset_file()
    {
        var body = File.ReadAllBytes(RealFile);
        // The server announces the full length, sends 100 KB and drops the connection, every time, ignoring Range.
        using var server = new LoopbackServer((c, _) =>
        {
            c.Request.Headers.Remove("Range");
            return ServeIgnoringRange(c, body, 100_000);
        });
        var target = Path.Combine(_dir, "file.gz");
        var e = await Assert.ThrowsAsync<DownloadException>(() => NewDownloader().DownloadAsync([server.Url + "file.gz"], target, RealMd5));
        Assert.Contains("attempt 3", e.Message);
        Assert.False(File.Exists(target));
    }

    private static async Task ServeIgnoringRange(HttpListenerContext context, byte[] body, int stopAfter)
    {
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body.AsMemory(0, stopAfter));
        await context.Response.OutputStream.FlushAsync();
        context.Response.Abort();
    }

    [Fact]
    public async Task A_wrong_checksum_is_refused_and_removed()
    {
        var body = File.ReadAllBytes(RealFile);
        body[5000] ^= 0xFF; // One corrupted byte.
        using var server = new LoopbackServer((c, _) => Serve(c, body));
        var target = Path.Combine(_dir, "file.gz");
        var e = await Assert.ThrowsAsync<DownloadException>(() => NewDownloader().DownloadAsync([server.Url + "file.gz"], target, RealMd5));
        Assert.Contains("checksum mismatch", e.Message);
        Assert.Contains($"expected {RealMd5}", e.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task A_dropped_connection_resumes_with_a_range_request()
    {
        var body = File.ReadAllBytes(RealFile);
        // First request: 600 KB then the connection drops. Later requests honour Range.
        using var server = new LoopbackServer((c, n) => n == 0 ? Serve(c, body, stopAfter: 600_000) : Serve(c, body));
        var target = Path.Combine(_dir, "file.gz");
        await NewDownloader().DownloadAsync([server.Url + "file.gz"], target, RealMd5);
        Assert.Equal(RealMd5, Downloader.Md5Of(target));
        Assert.Null(server.RangeHeaders[0]);
        Assert.Matches(@"^bytes=\d+-$", server.RangeHeaders[1]);
        Assert.True(long.Parse(server.RangeHeaders[1]![6..^1]) > 0);
    }

    [Fact]
    public async Task Model_weights_are_verified_by_the_sha256_prefix_in_their_name()
    {
        // The file's SHA-256 as datasets/MANIFEST.md lists it, cut to a torch.hub-style prefix.
        const string prefix = "826a8433";
        var body = await File.ReadAllBytesAsync(RealFile);
        using var server = new LoopbackServer((context, _) => Serve(context, body));
        var good = Path.Combine(_dir, $"weights-{prefix}.pth");
        await new Downloader().DownloadAsync([server.Url], good, path => PretrainedWeights.CheckHashPrefix(path, prefix));
        Assert.Null(PretrainedWeights.CheckHashPrefix(good, prefix));

        var bad = Path.Combine(_dir, "weights-0123abcd.pth");
        var error = await Assert.ThrowsAsync<DownloadException>(() => new Downloader().DownloadAsync([server.Url], bad, path => PretrainedWeights.CheckHashPrefix(path, "0123abcd")));
        Assert.Contains("expected 0123abcd", error.Message);
        Assert.False(File.Exists(bad));
        Assert.False(File.Exists(bad + ".part"));
    }

    [Fact]
    public void Torchvision_weights_have_their_official_urls_and_a_damaged_copy_is_refused()
    {
        Assert.Equal("https://download.pytorch.org/models/vgg16-397923af.pth", PretrainedWeights.Url("vgg16"));
        Assert.Equal("7be5be79", PretrainedWeights.HashPrefix("alexnet"));
        Assert.Contains("Known:", Assert.Throws<ArgumentException>(() => PretrainedWeights.Url("vgg17")).Message);

        File.Copy(RealFile, Path.Combine(_dir, "alexnet-owt-7be5be79.pth"));
        var error = Assert.Throws<InvalidDataException>(() => PretrainedWeights.Resolve("alexnet", _dir));
        Assert.Contains("alexnet-owt-7be5be79.pth", error.Message);
        Assert.Contains("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", error.Message);
    }

    [Fact]
    public void The_progress_bar_shows_fraction_and_sizes()
    {
        Assert.Equal("f.gz [###############---------------] 50% 1.0/2.0 MB", Downloader.ProgressBar("f.gz", 1_000_000, 2_000_000));
        Assert.Equal("f.gz 1.5 MB", Downloader.ProgressBar("f.gz", 1_500_000, null));
    }
}
