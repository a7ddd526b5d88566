namespace DeepVision.Plots;

/// <summary>
/// Breaks a plot title into lines that fit the picture: ScottPlot draws a title on one line and clips what does not
/// fit, so a long, descriptive title would lose its ends.
/// </summary>
internal static class TitleWrapping
{
    /// <summary>
    /// <paramref name="title"/> with line breaks between words wherever the next word would make a line wider than
    /// <paramref name="width"/> pixels, measured in the font of <paramref name="style"/>. A single word wider than the
    /// picture stays whole on its own line.
    /// </summary>
    public static string Wrap(string title, ScottPlot.LabelStyle style, double width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in title.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && Width(candidate, style) > width)
            {
                lines.Add(line);
                line = word;
            }
            else line = candidate;
        }
        if (line.Length > 0) lines.Add(line);
        return string.Join("\n", lines);
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
