namespace DeepVision;

/// <summary>
/// Where <see cref="LiveDisplay"/> shows its values outside a notebook kernel: a file-based app's console and page
/// (<c>DeepVision.Apps.AppDisplay</c> installs one). Set <see cref="LiveDisplay.Sink"/> to receive them.
/// </summary>
public interface IDisplaySink
{
    /// <summary>Shows a value; the returned handle is passed to <see cref="Update"/> for the same display.</summary>
    object Show(object value);

    /// <summary>Replaces what the display of <paramref name="handle"/> shows.</summary>
    void Update(object handle, object value);
}
