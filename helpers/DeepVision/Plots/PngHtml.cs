namespace DeepVision.Plots;

/// <summary>Wraps a PNG as an HTML image (data URI), with an optional caption.</summary>
internal static class PngHtml
{
    public static string Image(byte[] png, string alt, int? width = null) =>
        $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" alt=\"{System.Net.WebUtility.HtmlEncode(alt)}\"{(width is { } w ? $" width=\"{w}\"" : "")}/>";
}
