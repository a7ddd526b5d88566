using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision;

/// <summary>
/// An output that updates in place while a cell runs (training progress, a growing chart), in the .NET Interactive
/// kernel (VS Code, dotnet-repl, Jupyter). Outside a kernel (a console program, a test) it shows nothing until
/// <see cref="Finish"/>, which writes one line to the console.
/// </summary>
/// <remarks>
/// Two things of the real kernel shape this class. A kernel display keeps the MIME type of its first value for every
/// update, so every value is sent as HTML, formatted here with the helpers' formatters. And the kernel is found by
/// reflection, not referenced, so that the helpers load anywhere (nothing in them may depend on kernel assemblies).
/// Every value is wrapped in an element carrying this display's id, so that tools which record each update as its own
/// output (dotnet-repl) can keep only the last one, as a live viewer shows it.
/// </remarks>
public sealed class LiveDisplay
{
    /// <summary>The attribute that marks every value of one live display with the display's id.</summary>
    public const string MarkerAttribute = "data-deepvision-live";

    private static readonly Lazy<KernelApi?> Kernel = new(KernelApi.Find);
    private readonly string id = Guid.NewGuid().ToString("N");
    private object? handle;

    private IDisplaySink? sink;

    /// <summary>True when code runs inside a .NET Interactive kernel's cell, where displays update in place.</summary>
    public static bool InKernel => Kernel.Value?.InCell() == true;

    /// <summary>Where displays go outside a kernel (a file-based app's console and page), or null: nowhere.</summary>
    public static IDisplaySink? Sink { get; set; }

    /// <summary>Whether a display is seen at all: in a kernel, or through a <see cref="Sink"/>.</summary>
    public static bool Active => InKernel || Sink is not null;

    /// <summary>Shows <paramref name="initial"/> (a string, or anything the kernel can format) and returns the display to update.</summary>
    public static LiveDisplay Show(object initial)
    {
        var display = new LiveDisplay();
        if (InKernel) display.handle = Kernel.Value!.Display(display.Wrap(initial));
        else if (Sink is { } sink) (display.sink, display.handle) = (sink, sink.Show(initial));
        return display;
    }

    /// <summary>Replaces what the display shows (in a kernel or a sink; elsewhere it does nothing).</summary>
    public void Update(object value)
    {
        if (handle is null) return;
        if (sink is not null) sink.Update(handle, value);
        else Kernel.Value!.Update(handle, Wrap(value));
    }

    /// <summary>The last update: in a kernel it replaces the display; elsewhere it writes <paramref name="line"/> to the console.</summary>
    public void Finish(string line)
    {
        if (handle is not null) Update(line);
        else Console.WriteLine(line);
    }

    private HtmlString Wrap(object value)
    {
        var html = value is string text
            ? $"<div style=\"font-family:monospace;white-space:pre-wrap\">{WebUtility.HtmlEncode(text)}</div>"
            : value is IHtmlContent content ? content.ToString() ?? "" : value.ToDisplayString("text/html");
        return new HtmlString($"<div {MarkerAttribute}=\"{id}\">{html}</div>");
    }

    /// <summary>The kernel's <c>display(value, mimeTypes)</c> and <c>DisplayedValue.Update(value)</c>, found by reflection.</summary>
    private sealed class KernelApi(PropertyInfo currentContext, MethodInfo display)
    {
        public static KernelApi? Find()
        {
            var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "Microsoft.DotNet.Interactive");
            var context = assembly?.GetType("Microsoft.DotNet.Interactive.KernelInvocationContext")?.GetProperty("Current", BindingFlags.Public | BindingFlags.Static);
            var display = assembly?.GetType("Microsoft.DotNet.Interactive.Kernel")?.GetMethod("display", BindingFlags.Public | BindingFlags.Static, [typeof(object), typeof(string[])]);
            return context is null || display is null ? null : new KernelApi(context, display);
        }

        public bool InCell() => currentContext.GetValue(null) is not null;

        public object? Display(HtmlString value) => display.Invoke(null, [value, new[] { "text/html" }]);

        public void Update(object handle, HtmlString value) =>
            handle.GetType().GetMethod("Update", [typeof(object)])?.Invoke(handle, [value]);
    }
}
