using System.Net;
using System.Runtime.CompilerServices;
using DeepVision.Training;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Plots;

/// <summary>
/// <see cref="Trainer.Fit"/>'s progress in the kernel (a <see cref="TrainingStatus"/>): a progress bar and its line,
/// like fastai's or tqdm's, with the live chart under it; when training has finished, the line alone.
/// </summary>
public static class TrainingStatusView
{
    // The chart of an epoch is redrawn with every update of the bar (twice a second): rendered once, kept with it.
    private static readonly ConditionalWeakTable<object, string> ChartHtml = [];

#pragma warning disable CA2255 // registered when the helpers load: Training lives below Plots and cannot name its renderer
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterFormatters()
    {
        try { Register(); }
        catch (FileNotFoundException) { } // a program without the Formatting package: there is no kernel to show it in
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Register() =>
        Formatter.Register<TrainingStatus>((status, writer) => writer.Write(ToHtml(status)), "text/html");

    /// <summary>The status as HTML.</summary>
    public static string ToHtml(TrainingStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var bar = status.Finished ? "" : $"<progress value=\"{status.Fraction:F3}\" max=\"1\" style=\"width:240px;vertical-align:middle\"></progress> ";
        var chart = status.Chart is { } c ? ChartHtml.GetValue(c, x => x.ToDisplayString("text/html")) : "";
        return $"<div style=\"font-family:monospace\">{bar}{WebUtility.HtmlEncode(status.Text)}</div>{chart}";
    }
}
