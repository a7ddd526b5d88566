using System.Net;
using System.Net.Sockets;
using DeepVision.Data;

namespace DeepVision.Tests.Data;

/// <summary>
/// tools/data.cs, what <c>./build.sh data</c> runs: every dataset into the cache, checked against its MD5, nothing
/// half-written on failure, one line without network. A local mirror on loopback stands in for the internet.
/// </summary>
public class DataToolTests
{
    private static (int ExitCode, string Output, string Errors) Tool(string cache, params string[] args) =>
        DotnetTool.Run("data.cs", new Dictionary<string, string> { ["DEEPVISION_CACHE"] = cache }, args);

    /// <summary>Serves the files of <paramref name="folder"/> by name and counts the requests.</summary>
    private static LoopbackServer Mirror(string folder, Func<string, byte[], byte[]>? tamper = null) => new((context, _) =>
    {
        var name = Path.GetFileName(context.Request.Url!.AbsolutePath);
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            context.Response.StatusCode = 404;
            context.Response.Close();
            return Task.CompletedTask;
        }
        var body = File.ReadAllBytes(path);
        return DownloaderTests.Serve(context, tamper is null ? body : tamper(name, body));
    });

    [FullDataFact("mnist")]
    public void The_official_files_arrive_verified_and_a_second_run_fetches_nothing()
    {
        using var cache = new TempFolder();
        using var server = Mirror(FullData.Folder("mnist"));
        var (code, output, errors) = Tool(cache.Path, "--mirror", server.Url, "mnist");
        Assert.True(code == 0, output + errors);
        var folder = Path.Combine(cache.Path, "mnist");
        foreach (var file in DatasetCatalog.Mnist.Files)
            Assert.Equal(file.Md5, Downloader.Md5Of(Path.Combine(folder, file.Name)));
        Assert.Equal(DatasetCatalog.Mnist.Files.Select(f => f.Name).Order(), Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Contains("mnist: downloaded", output);
        var requests = server.RangeHeaders.Count;
        Assert.Equal(4, requests);

        (code, output, errors) = Tool(cache.Path, "--mirror", server.Url, "mnist");
        Assert.True(code == 0, output + errors);
        Assert.Contains("mnist: present", output);
        Assert.Equal(requests, server.RangeHeaders.Count);
    }

    [Fact]
    public void A_file_with_the_wrong_checksum_is_not_kept()
    {
        // The committed samples are real MNIST files, but not the official ones: their MD5s differ from the catalog's.
        using var cache = new TempFolder();
        using var server = Mirror(RepoPaths.Samples("mnist"));
        var (code, output, errors) = Tool(cache.Path, "--mirror", server.Url, "mnist");
        Assert.Equal(1, code);
        Assert.Contains("mnist failed", errors);
        Assert.Contains("checksum mismatch", errors);
        var folder = Path.Combine(cache.Path, "mnist");
        Assert.Empty(Directory.Exists(folder) ? Directory.GetFiles(folder) : []);
    }

    [Fact]
    public void Without_network_it_says_so_in_one_line_and_fails()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // Nothing listens there now: connections are refused, as offline.
        using var cache = new TempFolder();
        var (code, output, errors) = Tool(cache.Path, "--mirror", $"http://127.0.0.1:{port}", "cifar-10");
        Assert.Equal(1, code);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no network", line);
        Assert.Contains("./build.sh data", line);
        Assert.Empty(Directory.GetFiles(cache.Path, "*", SearchOption.AllDirectories)); // no file, whole or partial
        Assert.False(Directory.Exists(Path.Combine(cache.Path, "cifar-10")));
    }

    [Fact]
    public void An_unknown_dataset_is_named_with_the_known_ones()
    {
        using var cache = new TempFolder();
        var (code, _, errors) = Tool(cache.Path, "imagenet");
        Assert.Equal(2, code);
        Assert.Contains("unknown dataset imagenet", errors);
        Assert.Contains("imagenette2-320", errors);
    }
}
