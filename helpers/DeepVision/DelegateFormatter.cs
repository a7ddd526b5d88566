using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision;

/// <summary>Shows values of <typeparamref name="T"/> in a notebook as <paramref name="mimeType"/>, through a function.</summary>
internal sealed class DelegateFormatter<T>(string mimeType, Func<T, string> format) : ITypeFormatter
{
    public string MimeType => mimeType;
    public Type Type => typeof(T);

    public bool Format(object instance, FormatContext context)
    {
        context.Writer.Write(format((T)instance));
        return true;
    }
}
