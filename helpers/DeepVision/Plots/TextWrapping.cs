namespace DeepVision.Plots;

/// <summary>
/// Breaks text into lines that fit a width, between words: plot titles (ScottPlot draws a title on one line and clips
/// what does not fit) and image captions (which would run into the neighbouring image).
/// </summary>
internal static class TextWrapping
{
    /// <summary>
    /// The words of <paramref name="text"/> in lines, a new line wherever the next word would make a line wider than
    /// <paramref name="width"/> as <paramref name="measure"/> gives it. A single word wider than that stays whole on
    /// its own line.
    /// </summary>
    public static List<string> Lines(string text, Func<string, double> measure, double width)
    {
        var lines = new List<string>();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (lines.Count > 0 && measure(lines[^1] + " " + word) <= width) lines[^1] += " " + word;
            else lines.Add(word);
        }
        return lines;
    }

    /// <summary><paramref name="title"/> with line breaks so that no line is wider than <paramref name="width"/> pixels in the font of <paramref name="style"/>.</summary>
    public static string Title(string title, ScottPlot.LabelStyle style, double width) =>
        string.Join("\n", Lines(title, line => Width(line, style), width));

    /// <summary>
    /// Sets <paramref name="plot"/>'s title to <paramref name="title"/>, broken into lines that fit a picture of
    /// <paramref name="width"/> × <paramref name="height"/> pixels. ScottPlot centres the title over the data area,
    /// not over the picture, so a line may be at most twice as wide as the distance from that centre to the nearer
    /// edge of the picture (axis labels and a legend beside the data area move the centre). The plot is laid out
    /// once to find the data area: call this after everything else that takes room.
    /// </summary>
    public static void FitTitle(ScottPlot.Plot plot, string title, int width, int height)
    {
        const double margin = 8;
        plot.Title(title);
        plot.GetImage(width, height).Dispose();
        var layout = plot.RenderManager.LastRender;
        var centre = (layout.DataRect.Left + layout.DataRect.Right) / 2;
        var room = 2 * (Math.Min(centre - layout.FigureRect.Left, layout.FigureRect.Right - centre) - margin);
        plot.Axes.Title.Label.Text = Title(title, plot.Axes.Title.Label, room);
    }

    /// <summary>The width in pixels of <paramref name="text"/> drawn in the font of <paramref name="style"/>.</summary>
    public static double Width(string text, ScottPlot.LabelStyle style)
    {
        var saved = style.Text;
        style.Text = text;
        using var paint = ScottPlot.Paint.NewDisposablePaint();
        var width = style.Measure(paint).Width;
        style.Text = saved;
        return width;
    }
}
