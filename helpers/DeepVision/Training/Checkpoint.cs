using DeepVision.Storage;

namespace DeepVision.Training;

/// <summary>Saving and loading a model's weights (TorchSharp's format), written atomically.</summary>
public static class Checkpoint
{
    /// <summary>Saves the model's state to <paramref name="path"/>: a temporary file first, renamed when complete.</summary>
    public static void Save(nn.Module model, string path) => AtomicFile.ToPath(path, temporary => model.save(temporary));

    /// <summary>Loads weights saved by <see cref="Save"/> into a model of the same architecture (strict names and shapes).</summary>
    public static void Load(nn.Module model, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint at {path}.", path);
        model.load(path);
    }
}
