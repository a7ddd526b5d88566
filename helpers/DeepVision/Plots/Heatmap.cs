using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Plots;

/// <summary>A matrix drawn as coloured cells with the value written in each: confusion matrices, attention maps.</summary>
[TypeFormatterSource(typeof(PlotFormatterSource))]
public sealed class Heatmap : IPicture
{
    /// <summary>A heatmap of <paramref name="values"/> [rows, columns] with row and column labels.</summary>
    public Heatmap(double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels, string title, string xLabel, string yLabel, string format = "G3")
    {
        Values = values;
        RowLabels = rowLabels;
        ColumnLabels = columnLabels;
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
        Format = format;
    }

    /// <summary>The matrix.</summary>
    public double[,] Values { get; }
    /// <summary>Labels of the rows (top to bottom).</summary>
    public IReadOnlyList<string> RowLabels { get; }
    /// <summary>Labels of the columns (left to right).</summary>
    public IReadOnlyList<string> ColumnLabels { get; }
    /// <summary>Title.</summary>
    public string Title { get; }
    /// <summary>Horizontal axis label.</summary>
    public string XLabel { get; }
    /// <summary>Vertical axis label.</summary>
    public string YLabel { get; }
    /// <summary>Number format of the cell values.</summary>
    public string Format { get; }

    /// <summary>
    /// The confusion matrix of predictions: row = true class, column = predicted class, counts in the cells.
    /// </summary>
    public static Heatmap ConfusionMatrix(Tensor predicted, Tensor actual, IReadOnlyList<string> classNames, string title = "Confusion matrix")
    {
        var k = classNames.Count;
        using var scope = torch.NewDisposeScope();
        var flat = actual.cpu().to_type(ScalarType.Int64) * k + predicted.cpu().to_type(ScalarType.Int64);
        var counts = torch.bincount(flat, minlength: k * k).data<long>().ToArray();
        var values = new double[k, k];
        for (var r = 0; r < k; r++)
            for (var c = 0; c < k; c++)
                values[r, c] = counts[r * k + c];
        return new Heatmap(values, classNames, classNames, title, "predicted", "true", "0");
    }

    /// <summary>The picture as PNG.</summary>
    public byte[] ToPng()
    {
        var rows = Values.GetLength(0);
        var columns = Values.GetLength(1);
        var plot = new ScottPlot.Plot();
        // ScottPlot draws row 0 at the top when the y axis is inverted below.
        var heatmap = plot.Add.Heatmap(Values);
        // Light for small counts, dark blue for large ones, as confusion matrices are usually read.
        var colormap = new LightToDark(new ScottPlot.Colormaps.Blues());
        heatmap.Colormap = colormap;
        var max = Enumerable.Range(0, rows).SelectMany(r => Enumerable.Range(0, columns).Select(c => Values[r, c])).DefaultIfEmpty(0).Max();
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
            {
                var text = plot.Add.Text(Values[r, c].ToString(Format, System.Globalization.CultureInfo.InvariantCulture), c, rows - 1 - r);
                text.LabelFontSize = rows > 12 ? 8 : 11;
                text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                // White text on dark cells, black on light ones, judged from the cell's own colour.
                var cell = colormap.GetColor(max > 0 ? Values[r, c] / max : 0);
                var luminance = 0.2126 * cell.R + 0.7152 * cell.G + 0.0722 * cell.B;
                text.LabelFontColor = luminance < 140 ? ScottPlot.Colors.White : ScottPlot.Colors.Black;
            }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns).Select(i => (double)i).ToArray(), ColumnLabels.ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(i => (double)(rows - 1 - i)).ToArray(), RowLabels.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = columns > 5 ? 45 : 0;
        plot.Axes.Bottom.TickLabelStyle.Alignment = columns > 5 ? ScottPlot.Alignment.MiddleLeft : ScottPlot.Alignment.UpperCenter;
        // Room for rotated class names below the matrix.
        plot.Axes.Bottom.MinimumSize = columns > 5 ? 10 + 7 * ColumnLabels.Max(l => l.Length) : 0;
        var size = Math.Clamp(60 * columns + 160, 360, 900);
        plot.XLabel(XLabel);
        plot.YLabel(YLabel);
        TextWrapping.FitTitle(plot, Title, size, size);
        return plot.GetImageBytes(size, size, ScottPlot.ImageFormat.Png);
    }

    /// <summary>The picture as an HTML image.</summary>
    public string ToHtml() => PngHtml.Image(ToPng(), Title);

    /// <summary>A colormap read backwards: ScottPlot's Blues runs from dark to light.</summary>
    private sealed class LightToDark(ScottPlot.IColormap inner) : ScottPlot.IColormap
    {
        public string Name => inner.Name + " (reversed)";
        public ScottPlot.Color GetColor(double normalizedIntensity) => inner.GetColor(1 - normalizedIntensity);
    }
}
