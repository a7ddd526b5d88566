using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Plots;

/// <summary>
/// Tells Microsoft.DotNet.Interactive.Formatting (the .NET Interactive kernel: VS Code, dotnet-repl, Jupyter) how to show the
/// helpers' pictures: HTML for notebooks, PNG for image-only viewers. Found through the types'
/// <see cref="TypeFormatterSourceAttribute"/>, so no registration call is needed.
/// </summary>
public sealed class PlotFormatterSource : ITypeFormatterSource
{
    /// <inheritdoc />
    public IEnumerable<ITypeFormatter> CreateTypeFormatters() =>
    [
        new DelegateFormatter<LineChart>("text/html", c => c.ToHtml()),
        new DelegateFormatter<ImageGrid>("text/html", g => g.ToHtml()),
        new DelegateFormatter<Heatmap>("text/html", h => h.ToHtml()),
        new DelegateFormatter<ScatterPlot>("text/html", s => s.ToHtml()),
        new DelegateFormatter<LineChart>("image/png", c => Convert.ToBase64String(c.ToPng())),
        new DelegateFormatter<ImageGrid>("image/png", g => Convert.ToBase64String(g.ToPng())),
        new DelegateFormatter<Heatmap>("image/png", h => Convert.ToBase64String(h.ToPng())),
        new DelegateFormatter<ScatterPlot>("image/png", s => Convert.ToBase64String(s.ToPng())),
        new DelegateFormatter<LineChart>("text/plain", c => $"LineChart \"{c.Title}\" ({c.Series.Count} series)"),
    ];

}
