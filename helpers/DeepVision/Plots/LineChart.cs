using System.Text;
using DeepVision.Training;
using Microsoft.DotNet.Interactive.Formatting;
using XPlot.Plotly;

namespace DeepVision.Plots;

/// <summary>One line of a chart: x and y values and a legend name.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// A line chart that renders everywhere. Its HTML holds a static PNG (ScottPlot), which GitHub, nbconvert and
/// offline viewers show, and a script that replaces the PNG with the interactive Plotly chart (XPlot.Plotly) where
/// scripts run and plotly.js can be loaded. Display it with <c>display(chart)</c>; update a live one with
/// <c>handle.Update(newChart)</c>.
/// </summary>
[TypeFormatterSource(typeof(PlotFormatterSource))]
public sealed class LineChart : IPicture
{
    /// <summary>Where the interactive version loads plotly.js from.</summary>
    public static string PlotlyUrl { get; set; } = "https://cdn.plot.ly/plotly-2.35.2.min.js";

    /// <summary>Creates a chart of the given lines.</summary>
    public LineChart(string title, string xLabel, string yLabel, IEnumerable<Series> series, int width = 640, int height = 360)
    {
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
        Series = series.ToList();
        Width = width;
        Height = height;
    }

    /// <summary>Chart title.</summary>
    public string Title { get; }
    /// <summary>Label of the horizontal axis.</summary>
    public string XLabel { get; }
    /// <summary>Label of the vertical axis.</summary>
    public string YLabel { get; }
    /// <summary>The lines.</summary>
    public IReadOnlyList<Series> Series { get; }
    /// <summary>Size in pixels.</summary>
    public int Width { get; }
    /// <inheritdoc cref="Width"/>
    public int Height { get; }
    /// <summary>Use a logarithmic vertical axis (losses over several decades).</summary>
    public bool LogY { get; init; }

    /// <summary>Use a logarithmic horizontal axis (learning rates over several decades).</summary>
    public bool LogX { get; init; }

    /// <summary>The static picture, as PNG bytes.</summary>
    public byte[] ToPng() => Build().GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png);

    /// <summary>The ScottPlot figure the PNG is rendered from (tests read its layout).</summary>
    internal ScottPlot.Plot Build()
    {
        var plot = new ScottPlot.Plot();
        foreach (var s in Series)
        {
            var ys = LogY ? s.Y.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray() : s.Y.ToArray();
            var xs = LogX ? s.X.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray() : s.X.ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = s.Name;
            line.MarkerSize = s.X.Count > 60 ? 0 : 4;
        }
        if (LogX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => $"{Math.Pow(10, v):G3}" };
        // Epoch axes: whole numbers only, no "1.5" ticks.
        else if (Series.All(s => s.X.All(x => x == Math.Floor(x))))
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (LogY) plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => $"{Math.Pow(10, v):G3}" };
        plot.XLabel(XLabel);
        plot.YLabel(YLabel);
        // Outside the data area, so that the legend never hides the last points (where the results are), and below
        // it rather than beside it, so that long names (a finder's suggested range) do not squeeze the curves. A single
        // line gets its legend too: ScottPlot would otherwise draw it inside, over the curve's end.
        plot.ShowLegend(ScottPlot.Edge.Bottom);
        TextWrapping.FitTitle(plot, Title, Width, Height);
        return plot;
    }

    /// <summary>The HTML described on the type: a PNG, upgraded to Plotly where scripts run.</summary>
    public string ToHtml()
    {
        var traces = Series.Select(s => (Trace)new Scatter { x = s.X.ToArray(), y = s.Y.ToArray(), name = s.Name, mode = "lines+markers" }).ToList();
        var chart = Chart.Plot(traces);
        chart.WithLayout(new Layout.Layout
        {
            title = Title,
            xaxis = new Xaxis { title = XLabel, type = LogX ? "log" : "linear" },
            yaxis = new Yaxis { title = YLabel, type = LogY ? "log" : "linear" },
            width = Width,
            height = Height,
        });
        var id = "dv-" + chart.Id;
        var js = chart.GetInlineJS().Replace("<script>", "").Replace("</script>", "").Replace(chart.Id, id);
        var png = Convert.ToBase64String(ToPng());
        var sb = new StringBuilder();
        sb.Append($"<div id=\"{id}\" style=\"width:{Width}px;height:{Height}px\">");
        sb.Append($"<img src=\"data:image/png;base64,{png}\" width=\"{Width}\" height=\"{Height}\" alt=\"{System.Net.WebUtility.HtmlEncode(Title)}\"/>");
        sb.Append("</div>\n<script type=\"text/javascript\">\n(function () {\n");
        sb.Append($"  var host = document.getElementById('{id}');\n");
        sb.Append("  function draw() { host.innerHTML = ''; " + js.Trim() + " }\n");
        sb.Append("  if (window.Plotly) { draw(); return; }\n");
        sb.Append($"  var url = '{PlotlyUrl}';\n");
        sb.Append("  if (typeof require === 'function' && require.config) { require([url], function (P) { window.Plotly = P; draw(); }, function () {}); return; }\n");
        sb.Append("  var s = document.createElement('script'); s.src = url; s.onload = draw; document.head.appendChild(s);\n");
        sb.Append("})();\n</script>");
        return sb.ToString();
    }

    /// <summary>Loss curves (train per batch window and per epoch, test per epoch) of a training run.</summary>
    public static LineChart Loss(History history, string title = "Loss")
    {
        var series = new List<Series>();
        if (history.Batches.Count > 0)
            series.Add(new Series("train loss (batches)", history.Batches.Select(b => b.Epoch).ToList(), history.Batches.Select(b => b.Loss).ToList()));
        series.Add(new Series("train loss", history.Epochs.Select(e => (double)e.Epoch).ToList(), history.Epochs.Select(e => e.TrainLoss).ToList()));
        if (history.Epochs.Any(e => e.TestLoss is not null))
            series.Add(new Series($"{history.EvaluatedOn} loss", history.Epochs.Select(e => (double)e.Epoch).ToList(), history.Epochs.Select(e => e.TestLoss ?? double.NaN).ToList()));
        return new LineChart(title, "epoch", "loss", series);
    }

    /// <summary>A learning-rate sweep's smoothed loss against the learning rate (log axis), with the suggestion marked when there is one (a vertical line; the ends of the suggested range are in its label).</summary>
    public static LineChart LearningRates(LearningRateSweep sweep, string title = "Learning-rate finder")
    {
        var series = new List<Series> { new("smoothed loss", sweep.LearningRates, sweep.Losses) };
        if (sweep.Suggestion is { } rate && sweep.SuggestedRange is var (low, high))
            series.Add(new Series($"suggestion {rate:G2} (range {low:G2} to {high:G2})", [rate, rate], [sweep.Losses.Min(), sweep.Losses.Max()]));
        return new LineChart(title, "learning rate", "smoothed training loss", series) { LogX = true };
    }

    /// <summary>Train and test (or validation) accuracy (percent) per epoch.</summary>
    public static LineChart Accuracy(History history, string title = "Accuracy")
    {
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToList();
        var series = new List<Series> { new("train accuracy", epochs, history.Epochs.Select(e => 100 * (e.TrainAccuracy ?? double.NaN)).ToList()) };
        if (history.Epochs.Any(e => e.TestAccuracy is not null))
            series.Add(new Series($"{history.EvaluatedOn} accuracy", epochs, history.Epochs.Select(e => 100 * (e.TestAccuracy ?? double.NaN)).ToList()));
        return new LineChart(title, "epoch", "accuracy (%)", series);
    }
}
