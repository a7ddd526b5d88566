using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

using DeepVision.Weights;

namespace DeepVision.Tests.Weights;

/// <summary>The safetensors reader and writer against the safetensors project's own sample files (tests/data/safetensors-samples).</summary>
public class SafeTensorsTests
{
    private static string Sample(string file) => RepoPaths.TestData("safetensors-samples", file);

    // Each sample holds [-3, -2, -1, 0, 1, 2] in its dtype; the unsigned ones wrap around (253, 254, 255, 0, 1, 2).
    public static TheoryData<string, ScalarType, double[]> Samples() => new()
    {
        { "b", ScalarType.Int8, [-3, -2, -1, 0, 1, 2] },
        { "h", ScalarType.Int16, [-3, -2, -1, 0, 1, 2] },
        { "i", ScalarType.Int32, [-3, -2, -1, 0, 1, 2] },
        { "e", ScalarType.Float16, [-3, -2, -1, 0, 1, 2] },
        { "f", ScalarType.Float32, [-3, -2, -1, 0, 1, 2] },
        { "d", ScalarType.Float64, [-3, -2, -1, 0, 1, 2] },
        { "B", ScalarType.Byte, [253, 254, 255, 0, 1, 2] },
        { "H", ScalarType.Int32, [65533, 65534, 65535, 0, 1, 2] },          // uint16, widened
        { "I", ScalarType.Int64, [4294967293, 4294967294, 4294967295, 0, 1, 2] }, // uint32, widened
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_sample_dtype_reads_exactly(string name, ScalarType type, double[] values)
    {
        foreach (var file in new[] { $"{name}.safetensors", "overall.safetensors" })
        {
            var (tensors, metadata) = SafeTensors.ReadWithMetadata(Sample(file));
            Assert.Equal("a", metadata["test"]);
            var tensor = tensors[name];
            Assert.Equal(type, tensor.dtype);
            Assert.Equal([6L], tensor.shape);
            Assert.Equal(values, tensor.to_type(ScalarType.Float64).data<double>().ToArray());
        }
    }

    [Fact]
    public void PyBridge_safetensors_files_read()
    {
        var module = SafeTensors.Read(RepoPaths.TestData("pybridge", "pickled_modules", "module_load.safetensors"));
        Assert.Equal([2L, 5], module["lin1.weight"].shape);
        Assert.Equal([2L, 2], module["lin2.weight"].shape);
        var tensors = SafeTensors.Read(RepoPaths.TestData("pybridge", "pickled_tensors", "tensors.safetensors"));
        Assert.Equal([1L, 2, 3, 4, 5, 6], tensors["arr"].data<long>().ToArray());
        Assert.Equal([2L, 3], tensors["arr_2d"].shape);
        Assert.Equal([1L, 2, 3, 4, 5, 6], tensors["arr_2d"].flatten().data<long>().ToArray());
    }

    [Fact]
    public void What_we_write_follows_the_format_and_reads_back_bit_for_bit()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "nested", "weights.safetensors");
        var original = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4),
            ["f16"] = randn(5).to_type(ScalarType.Float16),
            ["bf16"] = randn(5).to_type(ScalarType.BFloat16),
            ["f64"] = randn(2, 2, 2).to_type(ScalarType.Float64),
            ["i64"] = arange(-3, 4),
            ["u8"] = arange(250, 256).to_type(ScalarType.Byte),
            ["bool"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(3.5f),
            ["empty"] = zeros(0, 5),
            ["view"] = arange(12, dtype: ScalarType.Float32).reshape(3, 4).t(), // non-contiguous
        };
        SafeTensors.Write(path, original, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(["weights.safetensors"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, headerLength))!.AsObject();
        Assert.Equal("pt", (string)header["__metadata__"]!["format"]!);
        Assert.Equal("BF16", (string)header["bf16"]!["dtype"]!);
        Assert.Equal(bytes.Length - 8 - headerLength, header.Where(e => e.Key != "__metadata__").Max(e => (long)e.Value!["data_offsets"]![1]!));

        var (read, metadata) = SafeTensors.ReadWithMetadata(path);
        Assert.Equal("pt", metadata["format"]);
        foreach (var (name, tensor) in original)
        {
            Assert.Equal(tensor.dtype, read[name].dtype);
            Assert.Equal(tensor.shape, read[name].shape);
            Assert.True(tensor.IsSame(read[name]) || tensor.numel() == 0, name);
        }
    }

    [Fact]
    public void Damaged_files_name_the_file_and_the_problem()
    {
        using var folder = new TempFolder();
        var good = File.ReadAllBytes(Sample("overall.safetensors"));

        var truncated = Path.Combine(folder.Path, "truncated.safetensors");
        File.WriteAllBytes(truncated, good[..(good.Length - 10)]);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(truncated));
        Assert.Contains("truncated.safetensors", error.Message);
        Assert.Contains("outside the file", error.Message);

        var hugeHeader = Path.Combine(folder.Path, "header.safetensors");
        var copy = good.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(copy, 1UL << 40);
        File.WriteAllBytes(hugeHeader, copy);
        Assert.Contains("header claims", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(hugeHeader)).Message);

        var notJson = Path.Combine(folder.Path, "json.safetensors");
        copy = good.ToArray();
        copy[8] = (byte)'x';
        File.WriteAllBytes(notJson, copy);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(notJson)).Message);
    }
}
