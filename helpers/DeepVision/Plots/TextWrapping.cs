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
