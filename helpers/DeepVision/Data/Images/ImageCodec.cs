using SkiaSharp;

namespace DeepVision.Data;

/// <summary>Image decoding and encoding through SkiaSharp (JPEG, PNG, BMP, GIF, WebP).</summary>
public static class ImageCodec
{
    /// <summary>
    /// Decodes an image and returns it as planar RGB bytes [3, size, size]: the shorter side resized to
    /// <paramref name="size"/> (bilinear), then the centre cropped to a square, as torchvision's Resize + CenterCrop.
    /// </summary>
    public static byte[] DecodeSquare(string path, int size)
    {
        using var codec = SKCodec.Create(path, out var result)
            ?? throw new DatasetFormatException(path, $"not a readable image ({result}); expected a JPEG or PNG file.");
        // JPEG decoders can scale by 1/2, 1/4, 1/8 while decoding: much faster for large photos.
        var scale = Math.Min(1f, 2f * size / Math.Min(codec.Info.Width, codec.Info.Height));
        var scaled = codec.GetScaledDimensions(scale);
        var info = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var status = codec.GetPixels(info, decoded.GetPixels());
        if (status is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new DatasetFormatException(path, $"the image data is corrupt ({status}).");
        return ResizeCropToPlanar(decoded, size);
    }

    private static byte[] ResizeCropToPlanar(SKBitmap source, int size)
    {
        var shorter = Math.Min(source.Width, source.Height);
        var cropX = (source.Width - shorter) / 2f;
        var cropY = (source.Height - shorter) / 2f;
        var target = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = new SKBitmap(target);
        using (var canvas = new SKCanvas(resized))
        using (var image = SKImage.FromBitmap(source))
        {
            canvas.DrawImage(image, new SKRect(cropX, cropY, cropX + shorter, cropY + shorter), new SKRect(0, 0, size, size),
                new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), null);
        }
        return ToPlanarRgb(resized.GetPixelSpan(), size * size);
    }

    private static byte[] ToPlanarRgb(ReadOnlySpan<byte> rgba, int pixels)
    {
        var planar = new byte[3 * pixels];
        for (var i = 0; i < pixels; i++)
        {
            planar[i] = rgba[4 * i];
            planar[pixels + i] = rgba[4 * i + 1];
            planar[2 * pixels + i] = rgba[4 * i + 2];
        }
        return planar;
    }

    /// <summary>Encodes planar uint8 [C, H, W] pixels (C = 1 or 3) as PNG.</summary>
    public static byte[] EncodePng(byte[] planar, int channels, int height, int width)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var pixels = new byte[4 * width * height];
        var plane = width * height;
        for (var i = 0; i < plane; i++)
        {
            var r = planar[i];
            pixels[4 * i] = r;
            pixels[4 * i + 1] = channels == 3 ? planar[plane + i] : r;
            pixels[4 * i + 2] = channels == 3 ? planar[2 * plane + i] : r;
            pixels[4 * i + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
