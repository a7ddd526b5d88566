using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Plots;

/// <summary>
/// HTML tables for Microsoft.Data.Analysis DataFrames. The DataFrame package's own notebook formatter needs the
/// (deprecated) kernel, so the helpers register this one as soon as the assembly loads.
/// </summary>
public static class Tables
{
    /// <summary>Rows shown before the table is cut ("… N more rows").</summary>
    public static int MaxRows { get; set; } = 25;

    // A module initializer, because DataFrame is not our type: TypeFormatterSource cannot be put on it, and a
    // notebook should not have to remember a registration call.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterFormatters()
    {
        // A program or notebook that references the helpers without the DataFrame or Formatting packages still
        // loads them: it just has no DataFrame tables. (Touching the types in a separate method keeps the JIT from
        // resolving them before the catch is in place.)
        try
        {
            Register();
        }
        catch (FileNotFoundException)
        {
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Register() =>
        Formatter.Register<DataFrame>((frame, writer) => writer.Write(ToHtml(frame)), "text/html");

    /// <summary>An HTML table of a DataFrame: the column names as header, at most <see cref="MaxRows"/> rows.</summary>
    public static string ToHtml(DataFrame frame)
    {
        var sb = new StringBuilder("<table><thead><tr><th></th>");
        foreach (var column in frame.Columns) sb.Append($"<th>{WebUtility.HtmlEncode(column.Name)}</th>");
        sb.Append("</tr></thead><tbody>");
        var shown = Math.Min(frame.Rows.Count, MaxRows);
        for (var r = 0; r < shown; r++)
        {
            sb.Append($"<tr><td><i>{r}</i></td>");
            foreach (var column in frame.Columns) sb.Append($"<td>{WebUtility.HtmlEncode(FormatCell(column[r]))}</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (frame.Rows.Count > shown) sb.Append($"<p>… {frame.Rows.Count - shown} more rows</p>");
        return sb.ToString();
    }

    private static string FormatCell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
