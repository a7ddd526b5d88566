using System.Net;
using System.Text;
using DeepVision.Storage;
using DeepVision.Training;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Plots;

/// <summary>
/// What the notebook kernel's <c>display</c> does, for a notebook run as a .NET file-based app (<c>./build.sh export</c>):
/// text goes to the console, every picture (chart, image grid, heatmap) is saved as a PNG whose path is printed,
/// tables and other objects print as text, a training progress bar rewrites its console line, and one HTML page
/// (<c>index.html</c> in the output folder) shows every output in cell order, rendered by the same formatters the
/// kernel uses. The page is rewritten whole after each cell, so an interrupted run leaves a readable page.
/// </summary>
public sealed class AppDisplay : IDisplaySink
{
    private readonly string folder;
    private readonly string title;
    private readonly TextWriter console;
    private readonly List<(int Cell, List<Output> Outputs)> cells = [];
    private readonly StringBuilder pendingText = new();
    private readonly object gate = new();
    private int pictures;
    private bool finished, lineOpen;   // lineOpen: the progress bar's console line awaits its end

    private sealed class Output(string html) { public string Html { get; set; } = html; }

    private AppDisplay(string folder, string title)
    {
        (this.folder, this.title) = (folder, title);
        console = Console.Out;
        cells.Add((0, []));
    }

    /// <summary>The display of the running app, once <see cref="Start"/> was called.</summary>
    public static AppDisplay? Current { get; private set; }

    /// <summary>The output folder: the page and the pictures.</summary>
    public string Folder => folder;

    /// <summary>The page that shows the outputs in cell order.</summary>
    public string PagePath => Path.Combine(folder, "index.html");

    /// <summary>
    /// Starts showing this app's outputs: console text is kept for the page too, live displays (the training progress)
    /// come here, and the page is written when the app ends, also when it fails.
    /// </summary>
    public static AppDisplay Start(string folder, string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (Current is not null) throw new InvalidOperationException("AppDisplay.Start was called twice: one app has one page.");
        Directory.CreateDirectory(folder);
        var display = new AppDisplay(Path.GetFullPath(folder), title);
        Current = display;
        Console.SetOut(new PageWriter(display));
        LiveDisplay.Sink = display;
        AppDomain.CurrentDomain.UnhandledException += (_, e) => display.Fail(e.ExceptionObject);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => display.Finish();
        return display;
    }

    /// <summary>The kernel's <c>display(value)</c>: shows a value and returns a handle whose <c>Update</c> replaces it.</summary>
    public static DisplayedValue display(object? value)
    {
        var current = Current ?? throw new InvalidOperationException("display(...) outside a notebook kernel needs AppDisplay.Start first (exported apps call it in their first line).");
        var handle = current.Show(value ?? "<null>");
        return new DisplayedValue(current, handle);
    }

    /// <summary>Starts the outputs of notebook cell <paramref name="number"/> (the exported app marks each cell).</summary>
    public void Cell(int number)
    {
        lock (gate)
        {
            FlushText();
            cells.Add((number, []));
            WritePage();
        }
    }

    /// <inheritdoc />
    public object Show(object value)
    {
        lock (gate)
        {
            FlushText();
            var output = new Output(Render(value));
            cells[^1].Outputs.Add(output);
            if (value is not TrainingStatus) WritePage();
            return output;
        }
    }

    /// <inheritdoc />
    public void Update(object handle, object value)
    {
        lock (gate)
        {
            ((Output)handle).Html = Render(value);
            if (value is TrainingStatus { Finished: true }) WritePage();
        }
    }

    /// <summary>Writes the page for the last time and gives the console back (called when the app ends).</summary>
    public void Finish()
    {
        lock (gate)
        {
            if (finished) return;
            finished = true;
            FlushText();
            WritePage();
            Console.SetOut(console);
            console.WriteLine($"outputs in cell order: {PagePath}");
        }
    }

    private void Fail(object error)
    {
        lock (gate)
        {
            FlushText();
            cells[^1].Outputs.Add(new Output($"<pre style=\"color:#b00\">{WebUtility.HtmlEncode(error.ToString())}</pre>"));
        }
        Finish();
    }

    // Console text and its rendering on the page; pictures are saved beside the page.
    private string Render(object value)
    {
        if (value is not TrainingStatus) EndLine();
        switch (value)
        {
            case string text:
                console.WriteLine(text);
                return Pre(text);
            case TrainingStatus status:
                // The progress bar rewrites its console line; the page keeps the last state.
                console.Write($"\r{status.Text}".PadRight(Math.Max(status.Text.Length + 1, 100)));
                lineOpen = !status.Finished;
                if (status.Finished) console.WriteLine();
                return TrainingStatusView.ToHtml(status);
            case IPicture picture:
                var path = Path.Combine(folder, $"cell{cells[^1].Cell:D2}-{++pictures:D2}.png");
                var png = picture.ToPng();
                AtomicFile.Write(path, stream => stream.Write(png));
                console.WriteLine($"[picture: {Path.GetRelativePath(Directory.GetCurrentDirectory(), path)}]");
                return value.ToDisplayString("text/html");
            default:
                console.WriteLine(value.ToDisplayString("text/plain"));
                return value.ToDisplayString("text/html");
        }
    }

    private void Append(string text) { lock (gate) pendingText.Append(text); }

    // Text written while the progress bar's line is open starts on a line of its own.
    private void EndLine()
    {
        if (!lineOpen) return;
        lineOpen = false;
        console.WriteLine();
    }

    private void FlushText()
    {
        if (pendingText.Length == 0) return;
        cells[^1].Outputs.Add(new Output(Pre(pendingText.ToString())));
        pendingText.Clear();
    }

    private static string Pre(string text) => $"<pre>{WebUtility.HtmlEncode(text.TrimEnd('\n'))}</pre>";

    private void WritePage()
    {
        var page = new StringBuilder($"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title>" +
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto} section{border-top:1px solid #ddd;padding:.5em 0} " +
            "h2{font-size:.9em;color:#888} pre{background:#f7f7f7;padding:.5em;white-space:pre-wrap}</style></head><body>\n" +
            $"<h1>{WebUtility.HtmlEncode(title)}</h1>\n");
        foreach (var (cell, outputs) in cells.Where(c => c.Outputs.Count > 0))
        {
            page.Append($"<section><h2>{(cell == 0 ? "before the first cell" : $"cell {cell}")}</h2>\n");
            foreach (var output in outputs) page.Append(output.Html).Append('\n');
            page.Append("</section>\n");
        }
        page.Append("</body></html>\n");
        AtomicFile.Write(PagePath, stream => stream.Write(Encoding.UTF8.GetBytes(page.ToString())));
    }

    /// <summary>The console writer while the app runs: everything written goes to the console and onto the page, in order.</summary>
    private sealed class PageWriter(AppDisplay display) : TextWriter
    {
        public override Encoding Encoding => display.console.Encoding;
        public override void Write(char value) { lock (display.gate) { display.EndLine(); display.console.Write(value); display.Append(value.ToString()); } }
        public override void Write(string? value) { lock (display.gate) { display.EndLine(); display.console.Write(value); if (value is not null) display.Append(value); } }
        public override void WriteLine(string? value) { lock (display.gate) { display.EndLine(); display.console.WriteLine(value); display.Append((value ?? "") + "\n"); } }
        public override void Flush() => display.console.Flush();
    }
}

/// <summary>What <see cref="AppDisplay.display"/> returns, as the kernel's <c>display</c> does: <c>Update</c> replaces the value shown.</summary>
public sealed class DisplayedValue
{
    private readonly AppDisplay display;
    private readonly object handle;

    internal DisplayedValue(AppDisplay display, object handle) => (this.display, this.handle) = (display, handle);

    /// <summary>Replaces what this display shows.</summary>
    public void Update(object? value) => display.Update(handle, value ?? "<null>");
}
