using DeepVision.Runner.Execution;

namespace DeepVision.Tests.Runner;

public class CellParserTests
{
    [Fact]
    public void Nuget_references_anywhere_are_hoisted_and_line_numbers_kept()
    {
        var parsed = CellParser.Parse("var a = 1;\n#r \"nuget: TorchSharp-cpu, 0.107.0\"\n#r \"nuget:ScottPlot\"\nvar b = 2;");
        Assert.Equal([new PackageRequest("TorchSharp-cpu", "0.107.0"), new PackageRequest("ScottPlot", null)], parsed.Packages);
        Assert.Equal("var a = 1;\n\n\nvar b = 2;", parsed.Code);
    }

    [Fact]
    public void Sources_time_import_and_kernel_selector_are_taken_out()
    {
        var parsed = CellParser.Parse("#!csharp\n#!time\n#i \"nuget: /tmp/feed\"\n#!import other.ipynb\nvar x = 1;");
        Assert.True(parsed.Time);
        Assert.Equal(["/tmp/feed"], parsed.PackageSources);
        Assert.Equal(["other.ipynb"], parsed.Imports);
        Assert.Equal("\n\n\n\nvar x = 1;", parsed.Code);
    }

    [Fact]
    public void Path_references_stay_for_roslyn()
    {
        var parsed = CellParser.Parse("#r \"../artifacts/helpers/DeepVision.dll\"\nusing DeepVision;");
        Assert.Empty(parsed.Packages);
        Assert.StartsWith("#r \"../artifacts/helpers/DeepVision.dll\"", parsed.Code);
    }

    [Fact]
    public void Unknown_magic_fails_with_the_kernels_message()
    {
        var e = Assert.Throws<DirectiveException>(() => CellParser.Parse("#!frobnicate\nvar x = 1;"));
        Assert.Equal("Unknown magic command '#!frobnicate'", e.Message);
    }

    [Fact]
    public void Another_kernel_and_unsupported_magics_are_named()
    {
        Assert.Contains("'fsharp' kernel", Assert.Throws<DirectiveException>(() => CellParser.Parse("#!fsharp\nlet x = 1")).Message);
        Assert.Contains("'#!set'", Assert.Throws<DirectiveException>(() => CellParser.Parse("#!set --name x --value 1")).Message);
    }
}
