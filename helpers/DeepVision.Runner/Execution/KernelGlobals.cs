using DeepVision.Runner.Execution;
using Microsoft.AspNetCore.Html;

namespace DeepVision.Runner.Execution
{
    /// <summary>
    /// The kernel API a notebook sees, with the names and shapes of <c>Microsoft.DotNet.Interactive.Kernel</c>
    /// (which the Polyglot C# kernel brings in with <c>using static</c>): <c>display</c>, <c>HTML</c>, <c>CSS</c>,
    /// <c>Javascript</c>. Roslyn exposes the members of this globals object to every cell unqualified.
    /// </summary>
    public class KernelGlobals
    {
        /// <summary>Displays a value now; the returned handle updates that same output later.</summary>
        public DisplayedValue display(object? value, params string[] mimeTypes) => CellContext.Require().Display(value, mimeTypes);

        /// <summary>Marks a string as HTML, to be displayed as is.</summary>
        public IHtmlContent HTML(string content) => new HtmlString(content);

        /// <summary>Adds a style sheet to the output, as the kernel's <c>CSS(string)</c>.</summary>
        public void CSS(string content) => display(new HtmlString($"<style>{content}</style>"));

        /// <summary>Runs script in the front end, as the kernel's <c>Javascript(string)</c> (inert in static viewers).</summary>
        public void Javascript(string content) => display(new HtmlString($"<script type=\"text/javascript\">{content}</script>"));
    }

    /// <summary>A displayed output that can be replaced, as the kernel's <c>DisplayedValue</c>.</summary>
    public sealed class DisplayedValue
    {
        private readonly CellOutputs _outputs;
        private readonly int _index;
        private readonly string[] _mimeTypes;

        internal DisplayedValue(CellOutputs outputs, int index, string[] mimeTypes)
        {
            _outputs = outputs;
            _index = index;
            _mimeTypes = mimeTypes;
        }

        /// <summary>Replaces the displayed value in place (live progress in VS Code, the final state in the saved file).</summary>
        public void Update(object? updatedValue) => _outputs.ReplaceDisplay(_index, CellOutputs.Format(updatedValue, _mimeTypes));
    }

    /// <summary>The cell being executed: where display calls and console output go.</summary>
    public sealed class CellContext(CellOutputs outputs, TextWriter live)
    {
        private static volatile CellContext? _current;

        public static CellContext? Current { get => _current; set => _current = value; }

        public static CellContext Require() =>
            _current ?? throw new InvalidOperationException("display() was called outside a notebook cell.");

        public CellOutputs Outputs { get; } = outputs;

        public DisplayedValue Display(object? value, string[] mimeTypes)
        {
            var data = CellOutputs.Format(value, mimeTypes);
            var index = Outputs.AddDisplay(data);
            // Headless progress: show plain text as it comes; rich outputs are only named.
            if (data["text/plain"] is { } plain && data.Count == 1)
                live.WriteLine(string.Concat(plain.AsArray().Select(l => l!.GetValue<string>())));
            else
                live.WriteLine($"[display: {string.Join(", ", data.Select(d => d.Key))}]");
            return new DisplayedValue(Outputs, index, mimeTypes);
        }
    }
}

namespace System
{
    /// <summary>The kernel's display extension methods, in namespace System as in .NET Interactive.</summary>
    public static class DisplayExtensions
    {
        /// <summary>Displays a value in the current cell's output.</summary>
        public static DisplayedValue Display(this object? value, params string[] mimeTypes) =>
            CellContext.Require().Display(value, mimeTypes);

        /// <summary>Displays a string as the given MIME type, for example <c>"**bold**".DisplayAs("text/markdown")</c>.</summary>
        public static DisplayedValue DisplayAs(this string value, string mimeType)
        {
            var context = CellContext.Require();
            var data = new Text.Json.Nodes.JsonObject
            {
                [mimeType] = DeepVision.Runner.Notebooks.NotebookDocument.ToLines(value),
            };
            var index = context.Outputs.AddDisplay(data);
            return new DisplayedValue(context.Outputs, index, [mimeType]);
        }
    }
}
