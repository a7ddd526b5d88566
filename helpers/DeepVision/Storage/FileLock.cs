namespace DeepVision.Storage;

/// <summary>
/// A lock file beside what it protects, so that two processes (two kernels, a kernel and <c>./build.sh data</c>) never
/// write the same file at once. It is removed when the lock is released, or by the system when the process dies.
/// </summary>
internal static class FileLock
{
    /// <summary>Waits (up to an hour) until <paramref name="path"/> can be held alone; dispose the result to release it.</summary>
    public static async Task<IDisposable> AcquireAsync(string path, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var deadline = DateTime.UtcNow.AddHours(1);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(250, cancellation); }
        }
    }
}
