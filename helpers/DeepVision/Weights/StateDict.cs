namespace DeepVision.Weights;

/// <summary>What loading a state_dict into a module did: every name accounted for.</summary>
public sealed record LoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> ShapeMismatched,
    IReadOnlyList<string> Skipped)
{
    /// <summary>True when every tensor of the module was loaded and nothing in the file was left over.</summary>
    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatched.Count == 0;

    /// <summary>One line per category, the way PyTorch's load_state_dict reports.</summary>
    public override string ToString()
    {
        var lines = new List<string> { $"Loaded {Loaded.Count} tensors." };
        if (Skipped.Count > 0) lines.Add($"Skipped (kept as initialized): {string.Join(", ", Skipped)}");
        if (Missing.Count > 0) lines.Add($"Missing from the file: {string.Join(", ", Missing)}");
        if (Unexpected.Count > 0) lines.Add($"In the file but not in the model: {string.Join(", ", Unexpected)}");
        if (ShapeMismatched.Count > 0) lines.Add($"Shape mismatches: {string.Join("; ", ShapeMismatched)}");
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>A strict load that found differences; the message lists all of them at once.</summary>
public sealed class StateDictMismatchException(LoadReport report, string message) : Exception(message)
{
    /// <summary>What matched and what did not.</summary>
    public LoadReport Report { get; } = report;
}

/// <summary>Copies weights into a module by name, as PyTorch's <c>load_state_dict</c> does.</summary>
public static class StateDict
{
    /// <summary>
    /// Copies <paramref name="weights"/> into <paramref name="module"/>'s parameters and buffers by name, converting
    /// dtype and device to the module's. Names under a prefix in <paramref name="skip"/> (for example
    /// <c>"classifier.6"</c> to keep a new head) are left as initialized. When <paramref name="strict"/> (the
    /// default), any missing, unexpected or shape-mismatched name throws a <see cref="StateDictMismatchException"/>
    /// listing every difference, and nothing is copied; otherwise what matches is copied and the report says the rest.
    /// </summary>
    public static LoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> weights, bool strict = true, params string[] skip)
    {
        bool Skipped(string name) => skip.Any(prefix => name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal));
        var targets = module.state_dict();
        var loaded = new List<string>();
        var missing = new List<string>();
        var mismatched = new List<string>();
        var skipped = new List<string>();
        foreach (var (name, target) in targets)
        {
            if (Skipped(name)) { skipped.Add(name); continue; }
            if (!weights.TryGetValue(name, out var source)) { missing.Add(name); continue; }
            if (!source.shape.SequenceEqual(target.shape))
                mismatched.Add($"{name}: file {source.ShapeText()}, model {target.ShapeText()}");
            else loaded.Add(name);
        }
        var unexpected = weights.Keys.Where(k => !targets.ContainsKey(k) && !Skipped(k)).ToList();
        var report = new LoadReport(loaded, missing, unexpected, mismatched, skipped);
        if (strict && !report.IsComplete)
            throw new StateDictMismatchException(report,
                $"The weights do not fit {module.GetName()}; nothing was loaded.{Environment.NewLine}{report}{Environment.NewLine}" +
                "Pass skip: [\"<prefix>\"] to keep layers you replaced (such as the classifier), or strict: false to load what matches.");
        using var noGrad = no_grad();
        foreach (var name in loaded)
        {
            var target = targets[name];
            using var converted = weights[name].to(target.dtype, target.device);
            target.copy_(converted);
        }
        return report;
    }

    /// <summary>Reads a weights file by its extension (.safetensors, or a torch.save file) and loads it.</summary>
    public static LoadReport Load(nn.Module module, string path, bool strict = true, params string[] skip)
    {
        var weights = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? SafeTensors.Read(path) : PyTorchFile.ReadStateDict(path);
        try
        {
            return Load(module, weights, strict, skip);
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }

    /// <summary>
    /// Saves a module's parameters and buffers as safetensors (readable by PyTorch's safetensors package), atomically:
    /// the course's one way to save weights (the training loop's best checkpoint included); <see cref="Load(nn.Module, string, bool, string[])"/> reads them back.
    /// </summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Write(path, module.state_dict(), metadata);
}
