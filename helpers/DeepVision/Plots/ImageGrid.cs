using DeepVision.Data;
using Microsoft.DotNet.Interactive.Formatting;
using SkiaSharp;

namespace DeepVision.Plots;

/// <summary>
/// Images in a grid, each with a caption (its label, or "prediction (label)" in red when they differ). Images are
/// uint8 [N, C, H, W] in 0–255 or float in 0–1, one or three channels, on any device. The picture is stored at the
/// size it is shown: images larger than <see cref="LargestShown"/> pixels are shrunk to it, small ones enlarged.
/// </summary>
[TypeFormatterSource(typeof(PlotFormatterSource))]
public sealed class ImageGrid : IPicture
{
    private readonly byte[][] _images;
    private readonly int _channels, _height, _width;

    /// <summary>The largest side an image is shown (and stored) at, in pixels: a thumbnail, as notebooks show them.</summary>
    public const int LargestShown = 112;

    /// <summary>Builds a grid; <paramref name="scale"/> enlarges small images (MNIST's 28 px) for reading.</summary>
    public ImageGrid(Tensor images, IReadOnlyList<string>? captions = null, IReadOnlyList<bool>? wrong = null, int columns = 8, int scale = 0)
    {
        if (images.dim() != 4) throw new ArgumentException($"images must be [N, C, H, W], not {images.ShapeText()}.", nameof(images));
        using var scope = torch.NewDisposeScope();
        var bytes = images.dtype == ScalarType.Byte ? images.cpu() : (images.cpu().clamp(0, 1) * 255).round().to_type(ScalarType.Byte);
        _channels = (int)images.shape[1];
        _height = (int)images.shape[2];
        _width = (int)images.shape[3];
        if (_channels is not (1 or 3)) throw new ArgumentException($"images need 1 or 3 channels, not {_channels}.", nameof(images));
        _images = Enumerable.Range(0, (int)images.shape[0]).Select(i => bytes[i].contiguous().data<byte>().ToArray()).ToArray();
        Captions = captions;
        Wrong = wrong;
        Columns = Math.Max(1, Math.Min(columns, _images.Length));
        Scale = scale > 0 ? scale : Math.Max(1, 64 / Math.Max(_height, 1));
    }

    /// <summary>A caption per image, or none.</summary>
    public IReadOnlyList<string>? Captions { get; }
    /// <summary>Which captions to show in red (wrong predictions).</summary>
    public IReadOnlyList<bool>? Wrong { get; }
    /// <summary>Images per row.</summary>
    public int Columns { get; }
    /// <summary>Magnification of each image (small images).</summary>
    public int Scale { get; }

    // The shown size of one image: enlarged by Scale, shrunk to LargestShown on its longer side.
    private (int Width, int Height) Shown
    {
        get
        {
            var shrink = Math.Min(1.0, (double)LargestShown / Math.Max(_width * Scale, _height * Scale));
            return ((int)Math.Round(_width * Scale * shrink), (int)Math.Round(_height * Scale * shrink));
        }
    }

    /// <summary>
    /// Up to <paramref name="count"/> images of a dataset, captioned with their class names, taken from the classes in
    /// turn (the first image of every class, then the second of every class, …): a folder dataset lists one class
    /// after another, and its first images would all be of one class.
    /// </summary>
    public static ImageGrid FromDataset(ImageDataset data, int count = 16, int columns = 8)
    {
        var labels = data.Labels.cpu().data<long>().ToArray();
        var order = labels.Select((label, index) => (Label: label, Index: index))
            .GroupBy(x => x.Label)
            .SelectMany(g => g.Select((x, rank) => (x.Label, x.Index, Rank: rank)))
            .OrderBy(x => x.Rank).ThenBy(x => x.Label)
            .Take(Math.Max(0, count))
            .Select(x => (long)x.Index).ToArray();
        using var index = torch.tensor(order);
        using var images = data.Images.index_select(0, index.to(data.Images.device));
        return new ImageGrid(images, order.Select(i => data.ClassNames[(int)labels[i]]).ToList(), null, columns);
    }

    /// <summary>Images captioned "predicted (true)", wrong ones in red; <paramref name="scale"/> as in the constructor.</summary>
    public static ImageGrid Predictions(Tensor images, Tensor predicted, Tensor actual, IReadOnlyList<string> classNames, int columns = 8, int scale = 0)
    {
        var p = predicted.cpu().data<long>().ToArray();
        var a = actual.cpu().data<long>().ToArray();
        var captions = p.Zip(a, (pi, ai) => pi == ai ? classNames[(int)pi] : $"{classNames[(int)pi]} ({classNames[(int)ai]})").ToList();
        return new ImageGrid(images, captions, p.Zip(a, (pi, ai) => pi != ai).ToList(), columns, scale);
    }

    /// <summary>
    /// Up to <paramref name="perClass"/> misclassified images of every true class, class by class (each class's first
    /// errors in the data's order), captioned "predicted (true)" in red: the errors of every class, where the first
    /// errors of a folder dataset, which lists one class after another, would all be of its first class.
    /// </summary>
    public static ImageGrid Mistakes(Tensor images, Tensor predicted, Tensor actual, IReadOnlyList<string> classNames, int perClass = 2, int columns = 10)
    {
        ArgumentNullException.ThrowIfNull(images);
        var p = predicted.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        var a = actual.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        if (p.Length != a.Length || a.Length != images.shape[0])
            throw new ArgumentException($"images ({images.shape[0]}), predicted ({p.Length}) and actual ({a.Length}) must describe the same images.", nameof(images));
        var chosen = Enumerable.Range(0, classNames.Count)
            .SelectMany(c => Enumerable.Range(0, a.Length).Where(i => a[i] == c && p[i] != c).Take(perClass))
            .Select(i => (long)i).ToArray();
        using var scope = torch.NewDisposeScope();
        var index = torch.tensor(chosen);
        return Predictions(images.index_select(0, index.to(images.device)), predicted.cpu().index_select(0, index), actual.cpu().index_select(0, index), classNames, columns);
    }

    /// <summary>The grid as one PNG.</summary>
    public byte[] ToPng()
    {
        const int lineHeight = 13, pad = 4;
        var (shownW, shownH) = Shown;
        var cellW = Math.Max(shownW, Captions is null ? 0 : 72);
        using var font = new SKFont(SKTypeface.Default, 11);
        // Captions wider than their cell break between words (at most three lines), so that neighbours never overlap.
        var captionLines = Captions?.Select(c => CaptionLines(c, font, cellW)).ToList();
        var captionHeight = captionLines is null ? 0 : lineHeight * captionLines.Select(l => l.Count).DefaultIfEmpty(1).Max() + 3;
        var cellH = shownH + captionHeight;
        var rows = (_images.Length + Columns - 1) / Columns;
        var info = new SKImageInfo(Columns * (cellW + pad) + pad, rows * (cellH + pad) + pad);
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var black = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var red = new SKPaint { Color = SKColors.Red, IsAntialias = true };
        for (var i = 0; i < _images.Length; i++)
        {
            var x = pad + (i % Columns) * (cellW + pad);
            var y = pad + (i / Columns) * (cellH + pad);
            using var image = SKImage.FromEncodedData(ImageCodec.EncodePng(_images[i], _channels, _height, _width));
            // Enlarged pixels stay sharp squares; shrunk images are filtered (mipmaps), not decimated.
            var sampling = shownW >= _width ? new SKSamplingOptions(SKFilterMode.Nearest) : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
            canvas.DrawImage(image, new SKRect(x + (cellW - shownW) / 2f, y, x + (cellW + shownW) / 2f, y + shownH), sampling, null);
            if (captionLines is not null && i < captionLines.Count)
            {
                var paint = Wrong is not null && i < Wrong.Count && Wrong[i] ? red : black;
                for (var l = 0; l < captionLines[i].Count; l++)
                {
                    var text = captionLines[i][l];
                    var width = font.MeasureText(text);
                    canvas.DrawText(text, x + Math.Max(0, (cellW - width) / 2), y + shownH + lineHeight * (l + 1) - 1, SKTextAlign.Left, font, paint);
                }
            }
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// <paramref name="caption"/> in lines no wider than <paramref name="width"/> pixels: broken between words, at most
    /// three lines, and a word too wide for a line cut short with an ellipsis.
    /// </summary>
    internal static List<string> CaptionLines(string caption, SKFont font, float width)
    {
        const int maxLines = 3;
        var lines = TextWrapping.Lines(caption, text => font.MeasureText(text), width);
        if (lines.Count > maxLines) lines = [.. lines.Take(maxLines - 1), string.Join(' ', lines.Skip(maxLines - 1))];
        for (var l = 0; l < lines.Count; l++)
        {
            if (font.MeasureText(lines[l]) <= width) continue;
            var cut = lines[l];
            while (cut.Length > 1 && font.MeasureText(cut + "…") > width) cut = cut[..^1];
            lines[l] = cut + "…";
        }
        return lines.Count == 0 ? [""] : lines;
    }

    /// <summary>The grid as an HTML image.</summary>
    public string ToHtml() => PngHtml.Image(ToPng(), $"{_images.Length} images");
}
