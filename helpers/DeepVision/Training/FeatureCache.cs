using System.Diagnostics;
using System.Security.Cryptography;
using DeepVision.Data;
using DeepVision.Weights;

namespace DeepVision.Training;

/// <summary>
/// Features of a frozen backbone, computed once and kept in a folder as safetensors files, keyed on what they are made
/// of: the images' pixels, the backbone's type and weights, a description of the preprocessing and the arithmetic
/// (precision and memory layout: bfloat16 features differ from float32 ones). Other images, another backbone, other
/// weights or another precision get features of their own, never stale ones of the same name or count; a file
/// appears only once written whole.
/// </summary>
public sealed class FeatureCache(string folder)
{
    /// <summary>The folder the feature files are kept in.</summary>
    public string Folder { get; } = folder ?? throw new ArgumentNullException(nameof(folder));

    /// <summary>
    /// The backbone's outputs for every image of <paramref name="data"/>, on the CPU in the dataset's order: read from
    /// the cache when these pixels, this backbone and this <paramref name="preprocessing"/> were computed before,
    /// otherwise computed in batches (evaluation mode, no gradients, as <paramref name="compute"/> says) and stored.
    /// <paramref name="preprocessing"/> names what <paramref name="transform"/> does (e.g. "resize 224, ImageNet
    /// preprocessing"): a function cannot be compared, so the name stands for it in the key.
    /// </summary>
    public Tensor Features(nn.Module<Tensor, Tensor> backbone, ImageDataset data, Func<Tensor, Tensor>? transform, string preprocessing,
        Device device, int batchSize = 50, ComputeOptions? compute = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(data);
        log ??= Console.Out;
        compute ??= ComputeOptions.Default;
        var key = Key(backbone, data, preprocessing, compute);
        var path = Path.Combine(Folder, $"{key}.safetensors");
        if (File.Exists(path))
        {
            var cached = SafeTensors.Read(path)["features"];
            log.WriteLine($"{data.Name}: {cached.ShapeText()} features from the cache ({Path.GetFileName(path)})");
            return cached;
        }
        var watch = Stopwatch.StartNew();
        var parts = new List<Tensor>();
        using (var run = compute.Evaluating(backbone))
        using (torch.no_grad())
            foreach (var (x, _) in new BatchLoader(data, batchSize, device, transform: transform))
            {
                using var scope = torch.NewDisposeScope();
                parts.Add(run.Forward(x).cpu().MoveToOuterDisposeScope());
            }
        var features = torch.cat(parts);
        parts.ForEach(p => p.Dispose());
        Directory.CreateDirectory(Folder);
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["features"] = features },
            new Dictionary<string, string> { ["dataset"] = data.Name, ["backbone"] = backbone.GetType().Name, ["preprocessing"] = preprocessing, ["compute"] = compute.ToString() });
        log.WriteLine($"{data.Name}: {features.ShapeText()} features in {watch.Elapsed.TotalSeconds:F0} s ({data.Count / watch.Elapsed.TotalSeconds:F0} images/s), cached as {Path.GetFileName(path)}");
        return features;
    }

    /// <summary>SHA-256 of the pixels, the backbone's type and weights (names, shapes, bytes), the preprocessing and the arithmetic, in hex.</summary>
    internal static string Key(nn.Module<Tensor, Tensor> backbone, ImageDataset data, string preprocessing, ComputeOptions compute)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(System.Text.Encoding.UTF8.GetBytes(text + "\n"));
        void AddTensor(Tensor t)
        {
            using var cpu = t.detach().cpu().contiguous();
            Add($"{cpu.dtype} {string.Join("x", cpu.shape)}");
            hash.AppendData(cpu.bytes);
        }
        Add(preprocessing ?? "");
        Add($"{compute.Precision} {(compute.ChannelsLast ? "channels-last" : "plain layout")}");
        AddTensor(data.Images);
        Add(backbone.GetType().FullName ?? "");
        foreach (var (name, tensor) in backbone.state_dict())
        {
            Add(name);
            AddTensor(tensor);
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..32].ToLowerInvariant();
    }
}
