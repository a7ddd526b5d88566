namespace DeepVision.Storage;

/// <summary>
/// Files that appear whole or not at all: written under a temporary name in the same folder, then renamed. The one
/// place the helpers write a file that must never be seen half-written (checkpoints, safetensors; downloads rename
/// their verified <c>.part</c> file through <see cref="MoveIntoPlace"/>).
/// </summary>
internal static class AtomicFile
{
    /// <summary>Calls <paramref name="writeTo"/> with a temporary path beside <paramref name="path"/>, then renames it into place.</summary>
    public static void ToPath(string path, Action<string> writeTo)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            writeTo(temporary);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Renames a finished temporary file (in the same folder) onto <paramref name="path"/>, replacing it.</summary>
    public static void MoveIntoPlace(string temporary, string path) => File.Move(temporary, path, overwrite: true);

    /// <summary>Writes the file through a stream, atomically.</summary>
    public static void Write(string path, Action<Stream> write) => ToPath(path, temporary =>
    {
        using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write);
        write(stream);
    });
}
