using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using DeepVision.Models;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Plots;

/// <summary>A <see cref="ModelSummary"/> as an HTML table (the kernel shows it so), and as its text elsewhere.</summary>
public static class ModelSummaryView
{
#pragma warning disable CA2255 // registered when the helpers load: ModelSummary lives below Plots and cannot name its renderer
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterFormatters()
    {
        try { Register(); }
        catch (FileNotFoundException) { } // a program without the Formatting package: no notebook tables to show
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Register()
    {
        Formatter.Register<ModelSummary>((summary, writer) => writer.Write(ToHtml(summary)), "text/html");
        Formatter.Register<ModelSummary>((summary, writer) => writer.Write(summary.ToString()), "text/plain");
    }

    /// <summary>The summary as an HTML table: one row per layer, the totals under it.</summary>
    public static string ToHtml(ModelSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        var sb = new StringBuilder("<table><thead><tr><th>Layer</th><th>Type</th><th>Output shape</th><th>Param #</th><th>Mult-adds</th></tr></thead><tbody>");
        foreach (var l in summary.Layers)
            sb.Append($"<tr><td>{WebUtility.HtmlEncode(l.Name)}</td><td>{l.Type}</td><td>{Sizes.ShapeText(l.OutputShape)}</td><td style=\"text-align:right\">{N(l.Parameters)}</td><td style=\"text-align:right\">{N(l.MultiplyAdds)}</td></tr>");
        sb.Append("</tbody></table>");
        sb.Append($"<p>Input {Sizes.ShapeText(summary.InputShape)} · total parameters <b>{N(summary.TotalParameters)}</b> · trainable {N(summary.TrainableParameters)} · " +
                  $"multiply-adds <b>{ModelSummary.Short(summary.TotalMultiplyAdds)}</b>{WebUtility.HtmlEncode(summary.UncountedNote)} · " +
                  $"parameter memory {ModelSummary.Megabytes(summary.ParameterBytes)} (+ {ModelSummary.Megabytes(summary.BufferBytes)} of buffers)</p>");
        return sb.ToString();
    }
}
