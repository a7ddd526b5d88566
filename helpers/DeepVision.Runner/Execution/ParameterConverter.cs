using System.Globalization;

namespace DeepVision.Runner.Execution;

/// <summary>Turns the text of <c>--input name=value</c> (or a profile value) into the type of the variable it replaces.</summary>
public static class ParameterConverter
{
    public static object? Convert(string text, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
            return text is "null" or "" ? null : Convert(text, underlying);
        if (type == typeof(string)) return text;
        if (type == typeof(object)) return text;
        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var parts = text.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var array = Array.CreateInstance(element, parts.Length);
            for (var i = 0; i < parts.Length; i++) array.SetValue(Convert(parts[i].Trim('"'), element), i);
            return array;
        }
        if (type.IsEnum)
            return Enum.TryParse(type, text, ignoreCase: true, out var e)
                ? e
                : throw new FormatException($"expected one of {string.Join(", ", Enum.GetNames(type))}.");
        var invariant = CultureInfo.InvariantCulture;
        try
        {
            return type switch
            {
                _ when type == typeof(bool) => bool.Parse(text),
                _ when type == typeof(int) => int.Parse(text, NumberStyles.Integer, invariant),
                _ when type == typeof(long) => long.Parse(text, NumberStyles.Integer, invariant),
                _ when type == typeof(float) => float.Parse(text, NumberStyles.Float, invariant),
                _ when type == typeof(double) => double.Parse(text, NumberStyles.Float, invariant),
                _ when type == typeof(decimal) => decimal.Parse(text, NumberStyles.Float, invariant),
                _ when type == typeof(TimeSpan) => TimeSpan.Parse(text, invariant),
                _ => throw new FormatException($"parameters of type {type.Name} cannot be set from the command line."),
            };
        }
        catch (OverflowException)
        {
            throw new FormatException($"'{text}' is out of range for {Describe(type)}.");
        }
        catch (FormatException e) when (!e.Message.StartsWith("parameters of type", StringComparison.Ordinal))
        {
            throw new FormatException($"expected {Describe(type)}.");
        }
    }

    /// <summary>The C# name of a type, as a person writes it: int, double, string[].</summary>
    public static string Describe(Type type) => type switch
    {
        _ when type == typeof(int) => "int",
        _ when type == typeof(long) => "long",
        _ when type == typeof(float) => "float",
        _ when type == typeof(double) => "double",
        _ when type == typeof(decimal) => "decimal",
        _ when type == typeof(bool) => "bool (true or false)",
        _ when type == typeof(string) => "string",
        _ when type.IsArray => Describe(type.GetElementType()!) + "[]",
        _ when Nullable.GetUnderlyingType(type) is { } u => Describe(u) + "?",
        _ => type.Name,
    };
}
