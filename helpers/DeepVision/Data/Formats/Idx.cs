using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepVision.Data;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic 0x0000_08_0D: type byte 0x08 = uint8, then the
/// number of dimensions) followed by the sizes and the raw bytes. Files may be gzip-compressed (.gz), as distributed.
/// </summary>
public static class Idx
{
    /// <summary>Reads an image file: uint8 [N, 1, rows, cols].</summary>
    public static Tensor ReadImages(string path)
    {
        var (dims, data) = Read(path, expectedDims: 3);
        return torch.tensor(data, [dims[0], 1, dims[1], dims[2]], ScalarType.Byte);
    }

    /// <summary>Reads a label file: int64 [N].</summary>
    public static Tensor ReadLabels(string path)
    {
        var (_, data) = Read(path, expectedDims: 1);
        using var bytes = torch.tensor(data, ScalarType.Byte);
        return bytes.to(ScalarType.Int64);
    }

    private static (int[] Dims, byte[] Data) Read(string path, int expectedDims)
    {
        if (!File.Exists(path))
            throw new DatasetFormatException(path, "the file does not exist.");
        byte[] content;
        try
        {
            using var file = File.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            content = memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DatasetFormatException(path, $"the gzip data is corrupt ({e.Message}); delete the file so that it is downloaded again.");
        }
        catch (EndOfStreamException)
        {
            throw new DatasetFormatException(path, "the gzip data ends early (truncated file); delete the file so that it is downloaded again.");
        }
        if (content.Length < 4)
            throw new DatasetFormatException(path, $"expected an IDX header of at least 4 bytes, found {content.Length} bytes.");
        var magic = BinaryPrimitives.ReadInt32BigEndian(content);
        var expectedMagic = 0x0800 | expectedDims;
        if (magic != expectedMagic)
            throw new DatasetFormatException(path,
                $"wrong magic number 0x{magic:X8}: an IDX {(expectedDims == 3 ? "image" : "label")} file starts with 0x{expectedMagic:X8} (uint8, {expectedDims} dimension{(expectedDims > 1 ? "s" : "")}).");
        var header = 4 + 4 * expectedDims;
        if (content.Length < header)
            throw new DatasetFormatException(path, $"the IDX header is cut short ({content.Length} of {header} bytes).");
        var dims = Enumerable.Range(0, expectedDims).Select(i => BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4 + 4 * i))).ToArray();
        var expected = dims.Aggregate(1L, (a, d) => a * d);
        if (dims.Any(d => d <= 0) || content.Length - header != expected)
            throw new DatasetFormatException(path,
                $"the header announces [{string.Join(" x ", dims)}] = {expected} bytes of data, but the file holds {content.Length - header} (truncated or corrupt).");
        return (dims, content[header..]);
    }
}
