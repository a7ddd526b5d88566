using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DeepVision.NotebookTool;

/// <summary>
/// Profiles, papermill's way: a profile's values (metadata.deepvision.profiles.NAME) become assignments in a cell
/// tagged <c>injected-parameters</c> right after the cell tagged <c>parameters</c>; the <c>full</c> profile injects
/// nothing and runs the parameters cell's own values.
/// </summary>
public static class ParameterInjection
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    /// <summary>The profile whose values are the parameters cell's own.</summary>
    public const string Full = "full";

    /// <summary>A copy of <paramref name="source"/> with the profile's values injected (the source is not changed).</summary>
    public static Prepared Inject(JsonObject source, string profile)
    {
        var notebook = (JsonObject)source.DeepClone();
        if (profile == Full) return new Prepared(notebook, new JsonObject());
        var values = DeepVisionMetadata.Profile(notebook, profile)
            ?? throw new NotebookException($"it has no '{profile}' profile (metadata.deepvision.profiles.{profile}); use one it has, or 'full' for the parameters cell's own values");
        var cells = Ipynb.Cells(notebook);
        var index = cells.Select((c, i) => (c, i)).Where(x => Ipynb.HasTag(x.c!, ParametersTag)).Select(x => x.i).DefaultIfEmpty(-1).First();
        if (index < 0) throw new NotebookException("it has no code cell tagged 'parameters' to inject the profile after");
        var code = new StringBuilder($"// Injected by tools/notebooks.cs: the '{profile}' profile.\n");
        foreach (var (key, value) in values)
        {
            if (!Regex.IsMatch(key, "^[A-Za-z_][A-Za-z0-9_]*$")) throw new NotebookException($"profile '{profile}': '{key}' is not a C# variable name");
            code.Append(key).Append(" = ").Append(CSharpLiteral(value, $"profile '{profile}', {key}")).Append(";\n");
        }
        cells.Insert(index + 1, Ipynb.CodeCell(code.ToString().TrimEnd('\n'), InjectedTag));
        return new Prepared(notebook, (JsonObject)values.DeepClone());
    }

    /// <summary>
    /// A profile value as C#: strings, numbers, booleans and null become literals; <c>{"csharp": "Precision.Float32"}</c>
    /// is injected as written, for the values no literal can write (an enum member). <paramref name="what"/> names the
    /// value in the error.
    /// </summary>
    public static string CSharpLiteral(JsonNode? value, string what) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<string>(out var s) => StringLiteral(s),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => NumberLiteral(v.ToJsonString()),
        JsonObject o when o.Count == 1 && o["csharp"] is JsonValue e && e.TryGetValue<string>(out var code) && !string.IsNullOrWhiteSpace(code) && !code.Contains('\n') && !code.Contains(';') => code.Trim(),
        _ => throw new NotebookException($"{what}: only strings, numbers, booleans, null and {{\"csharp\": \"an expression\"}} (one line, no ';') can be injected, not {value.ToJsonString()}"),
    };

    /// <summary>An integer stays an integer literal (it fits int and double variables); any other number becomes a double.</summary>
    private static string NumberLiteral(string json) =>
        Regex.IsMatch(json, "^-?[0-9]+$") ? json
        : double.Parse(json, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture) is var d && (d.Contains('.') || d.Contains('E')) ? d : d + ".0";

    private static string StringLiteral(string s)
    {
        var b = new StringBuilder("\"");
        foreach (var c in s)
            b.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ when char.IsControl(c) => $"\\u{(int)c:x4}", _ => c.ToString() });
        return b.Append('"').ToString();
    }
}
