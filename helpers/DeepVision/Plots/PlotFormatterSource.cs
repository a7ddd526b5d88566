using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Plots;

/// <summary>
/// Tells Microsoft.DotNet.Interactive.Formatting (the Polyglot kernel and the course's runner alike) how to show the
/// helpers' pictures: HTML for notebooks, PNG for image-only viewers. Found through the types'
/// <see cref="TypeFormatterSourceAttribute"/>, so no registration call is needed.
/// </summary>
public sealed class PlotFormatterSource : ITypeFormatterSource
{
    /// <inheritdoc />
    public IEnumerable<ITypeFormatter> CreateTypeFormatters() =>
    [
        new FormatterInfo<LineChart>("text/html", c => c.ToHtml()),
        new FormatterInfo<ImageGrid>("text/html", g => g.ToHtml()),
        new FormatterInfo<Heatmap>("text/html", h => h.ToHtml()),
        new FormatterInfo<ScatterPlot>("text/html", s => s.ToHtml()),
        new FormatterInfo<LineChart>("image/png", c => Convert.ToBase64String(c.ToPng())),
        new FormatterInfo<ImageGrid>("image/png", g => Convert.ToBase64String(g.ToPng())),
        new FormatterInfo<Heatmap>("image/png", h => Convert.ToBase64String(h.ToPng())),
        new FormatterInfo<ScatterPlot>("image/png", s => Convert.ToBase64String(s.ToPng())),
        new FormatterInfo<LineChart>("text/plain", c => $"LineChart \"{c.Title}\" ({c.Series.Count} series)"),
    ];

    private sealed class FormatterInfo<T>(string mimeType, Func<T, string> format) : ITypeFormatter
    {
        public string MimeType => mimeType;
        public Type Type => typeof(T);

        public bool Format(object instance, FormatContext context)
        {
            context.Writer.Write(format((T)instance));
            return true;
        }
    }
}

/// <summary>Wraps a PNG as an HTML image (data URI), with an optional caption.</summary>
internal static class PngHtml
{
    public static string Image(byte[] png, string alt, int? width = null) =>
        $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" alt=\"{System.Net.WebUtility.HtmlEncode(alt)}\"{(width is { } w ? $" width=\"{w}\"" : "")}/>";
}
