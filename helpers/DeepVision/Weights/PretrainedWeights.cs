using System.Security.Cryptography;
using DeepVision.Data;

using DeepVision.Storage;

namespace DeepVision.Weights;

/// <summary>
/// torchvision's published ImageNet weights (IMAGENET1K_V1): the official URLs, each verified by the SHA-256 prefix
/// in its file name (as torch.hub does), cached like the datasets. Loading an absent file downloads it; without
/// network, the message says where to put a copy.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>Model name → file name on download.pytorch.org/models (the part after the dash is the hash prefix).</summary>
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>
    {
        ["alexnet"] = "alexnet-owt-7be5be79.pth",
        ["vgg11"] = "vgg11-8a719046.pth", ["vgg11_bn"] = "vgg11_bn-6002323d.pth",
        ["vgg13"] = "vgg13-19584684.pth", ["vgg13_bn"] = "vgg13_bn-abd245e5.pth",
        ["vgg16"] = "vgg16-397923af.pth", ["vgg16_bn"] = "vgg16_bn-6c64b313.pth",
        ["vgg19"] = "vgg19-dcbb9e9d.pth", ["vgg19_bn"] = "vgg19_bn-c79401a0.pth",
        ["resnet18"] = "resnet18-f37072fd.pth", ["resnet34"] = "resnet34-b627a593.pth", ["resnet50"] = "resnet50-0676ba61.pth",
        ["mobilenet_v2"] = "mobilenet_v2-b0353104.pth",
        ["vit_b_16"] = "vit_b_16-c867db91.pth",
    };

    /// <summary>Where the weights are cached: <c>~/.cache/deepvision/weights</c> (DEEPVISION_CACHE moves it).</summary>
    public static string CacheFolder => UserCache.Folder("weights");

    /// <summary>The official URL of a model's weights.</summary>
    public static string Url(string model) => $"https://download.pytorch.org/models/{FileName(model)}";

    /// <summary>The hash prefix that the file's SHA-256 must start with.</summary>
    public static string HashPrefix(string model)
    {
        var name = Path.GetFileNameWithoutExtension(FileName(model));
        return name[(name.LastIndexOf('-') + 1)..];
    }

    /// <summary>
    /// The path of a model's weights file: <paramref name="folder"/> (or the cache) if it holds a verified copy,
    /// otherwise downloaded into the cache first. A copy whose hash does not match is an error, never used.
    /// </summary>
    public static string Resolve(string model, string? folder = null, Downloader? downloader = null, TextWriter? log = null)
    {
        var file = FileName(model);
        var prefix = HashPrefix(model);
        foreach (var candidate in new[] { folder, CacheFolder }.OfType<string>().Select(f => Path.Combine(f, file)))
        {
            if (!File.Exists(candidate)) continue;
            var actual = Sha256Of(candidate);
            if (!actual.StartsWith(prefix, StringComparison.Ordinal))
                throw new InvalidDataException($"{candidate} has SHA-256 {actual[..12]}…, not the {prefix}… its name promises: it is damaged or a different file. Delete it and download it again from {Url(model)}.");
            return candidate;
        }
        var destination = Path.Combine(CacheFolder, file);
        (downloader ?? new Downloader(progress: log ?? Console.Out))
            .DownloadAsync([Url(model)], destination, path => CheckHashPrefix(path, prefix))
            .GetAwaiter().GetResult();
        return destination;
    }

    /// <summary>torch.hub's check: null when the file's SHA-256 starts with <paramref name="prefix"/>, else what is wrong.</summary>
    public static string? CheckHashPrefix(string path, string prefix)
    {
        var actual = Sha256Of(path);
        return actual.StartsWith(prefix, StringComparison.Ordinal) ? null : $"SHA-256 {actual[..12]}…, expected {prefix}…";
    }

    /// <summary>The SHA-256 of a file, as lower-case hex.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static string FileName(string model) => Files.TryGetValue(model, out var file) ? file
        : throw new ArgumentException($"No published weights for '{model}'. Known: {string.Join(", ", Files.Keys)}.", nameof(model));
}
