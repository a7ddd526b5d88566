using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Plots;

/// <summary>
/// 2-D points coloured by class, optionally over a classifier's decision regions: the picture of the first
/// notebooks (logistic regression, the perceptron, XOR, moons, circles).
/// </summary>
[TypeFormatterSource(typeof(PlotFormatterSource))]
public sealed class ScatterPlot : IPicture
{
    private readonly double[] _x, _y;
    private readonly long[] _labels;
    private double[,]? _regions;
    private readonly List<(string Name, double Slope, double Intercept)> _lines = [];
    private (double XMin, double XMax, double YMin, double YMax) _bounds;

    /// <summary>Points <paramref name="points"/> [N, 2] with integer labels [N] (null: one class, for regression data).</summary>
    public ScatterPlot(Tensor points, Tensor? labels, string title = "")
    {
        using var p = points.cpu().to_type(ScalarType.Float64);
        _x = p[.., 0].data<double>().ToArray();
        _y = p[.., 1].data<double>().ToArray();
        _labels = labels is null ? new long[_x.Length] : labels.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        Title = title;
        var marginX = (_x.Max() - _x.Min()) * 0.1 + 1e-6;
        var marginY = (_y.Max() - _y.Min()) * 0.1 + 1e-6;
        _bounds = (_x.Min() - marginX, _x.Max() + marginX, _y.Min() - marginY, _y.Max() + marginY);
    }

    /// <summary>Title.</summary>
    public string Title { get; }

    /// <summary>
    /// Shades the plane by a classifier: <paramref name="predict"/> maps points [M, 2] to the probability of class 1
    /// (or a class index); evaluated on a <paramref name="resolution"/> x <paramref name="resolution"/> grid.
    /// </summary>
    public ScatterPlot WithDecisionRegions(Func<Tensor, Tensor> predict, int resolution = 120)
    {
        using var scope = torch.NewDisposeScope();
        var xs = torch.linspace(_bounds.XMin, _bounds.XMax, resolution, dtype: ScalarType.Float32);
        var ys = torch.linspace(_bounds.YMin, _bounds.YMax, resolution, dtype: ScalarType.Float32);
        var mesh = torch.meshgrid([ys, xs], indexing: "ij");
        var grid = torch.stack([mesh[1].flatten(), mesh[0].flatten()], 1);
        Tensor values;
        using (torch.no_grad()) values = predict(grid).cpu().to_type(ScalarType.Float64).flatten();
        var v = values.data<double>().ToArray();
        _regions = new double[resolution, resolution];
        // Row 0 of the heatmap is drawn at the top: the largest y.
        for (var r = 0; r < resolution; r++)
            for (var c = 0; c < resolution; c++)
                _regions[r, c] = v[(resolution - 1 - r) * resolution + c];
        return this;
    }

    /// <summary>Draws the line y = slope·x + intercept across the plot, named in the legend (a fitted regression line).</summary>
    public ScatterPlot WithLine(string name, double slope, double intercept)
    {
        _lines.Add((name, slope, intercept));
        return this;
    }

    /// <summary>The picture as PNG.</summary>
    public byte[] ToPng() => Build().GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png);

    private const int Width = 520, Height = 440;

    /// <summary>The ScottPlot figure the PNG is rendered from (tests read its layout).</summary>
    internal ScottPlot.Plot Build()
    {
        var plot = new ScottPlot.Plot();
        if (_regions is not null)
        {
            var heatmap = plot.Add.Heatmap(_regions);
            heatmap.Colormap = new ScottPlot.Colormaps.Balance();
            heatmap.Opacity = 0.35;
            heatmap.Extent = new ScottPlot.CoordinateRect(_bounds.XMin, _bounds.XMax, _bounds.YMin, _bounds.YMax);
        }
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var label in _labels.Distinct().Order())
        {
            var xs = _x.Where((_, i) => _labels[i] == label).ToArray();
            var ys = _y.Where((_, i) => _labels[i] == label).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys);
            points.Color = palette.GetColor((int)label);
            points.MarkerSize = 5;
            points.LegendText = _labels.Distinct().Count() > 1 ? $"class {label}" : "data";
        }
        foreach (var (name, slope, intercept) in _lines)
        {
            var line = plot.Add.Line(_bounds.XMin, slope * _bounds.XMin + intercept, _bounds.XMax, slope * _bounds.XMax + intercept);
            line.LineWidth = 2;
            line.Color = palette.GetColor(_lines.FindIndex(l => l.Name == name) + 3);
            line.LegendText = name;
        }
        plot.Axes.SetLimits(_bounds.XMin, _bounds.XMax, _bounds.YMin, _bounds.YMax);
        // Below the data area, never on it: clusters fill the corners (XOR's four), where a legend inside would hide
        // points. With one class and no line there is nothing to tell apart, and no legend.
        if (_labels.Distinct().Count() > 1 || _lines.Count > 0) plot.ShowLegend(ScottPlot.Edge.Bottom);
        else plot.HideLegend();
        TextWrapping.FitTitle(plot, Title, Width, Height);
        return plot;
    }

    /// <summary>The picture as an HTML image.</summary>
    public string ToHtml() => PngHtml.Image(ToPng(), Title);
}
