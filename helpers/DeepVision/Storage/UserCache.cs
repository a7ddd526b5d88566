namespace DeepVision.Storage;

/// <summary>
/// The user's cache for what the helpers download (datasets, weights): <c>$DEEPVISION_CACHE</c>, else
/// <c>$XDG_CACHE_HOME/deepvision</c> or <c>~/.cache/deepvision</c>, and <c>%LOCALAPPDATA%\deepvision</c> on Windows.
/// </summary>
public static class UserCache
{
    /// <summary>The cache's root folder.</summary>
    public static string Root =>
        Environment.GetEnvironmentVariable("DEEPVISION_CACHE") is { Length: > 0 } cache ? cache
        : OperatingSystem.IsWindows()
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "deepvision")
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "deepvision");

    /// <summary>A folder of the cache, such as <c>weights</c> or a dataset's.</summary>
    public static string Folder(string name) => Path.Combine(Root, name);
}
