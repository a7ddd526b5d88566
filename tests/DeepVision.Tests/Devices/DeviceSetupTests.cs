using DeepVision.Devices;

namespace DeepVision.Tests.Devices;

/// <summary>Runs alone: Setup reseeds libtorch's global generator, which every test that draws random numbers shares.</summary>
[Collection(RunsAloneCollection.Name)]
public class DeviceSetupTests
{
    [Fact]
    public void Device_setup_picks_the_cpu_here_and_seeds_reproducibly()
    {
        var info = DeviceSetup.Setup(seed: 123, quiet: true);
        Assert.Equal(DeviceType.CPU, info.Device.type);
        Assert.Equal("0.107.0", info.TorchSharpVersion);
        Assert.True(info.Threads >= 1);
        using var first = torch.rand(3);
        DeviceSetup.Setup(seed: 123, quiet: true);
        using var second = torch.rand(3);
        Assert.True(first.IsSame(second));
        Assert.Throws<ArgumentException>(() => DeviceSetup.Setup(prefer: "tpu", quiet: true));
    }

    [Fact]
    public void The_cpu_bfloat16_instructions_are_read_from_cpuinfo()
    {
        using var folder = new TempFolder();
        var cpuinfo = Path.Combine(folder.Path, "cpuinfo");
        File.WriteAllText(cpuinfo, "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_tile\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_tile\n");
        Assert.Equal("avx512_bf16", DeviceSetup.CpuBFloat16Instructions(cpuinfo));
        File.WriteAllText(cpuinfo, "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n");
        Assert.Null(DeviceSetup.CpuBFloat16Instructions(cpuinfo));
        File.WriteAllText(cpuinfo, "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n");
        Assert.Equal("bf16", DeviceSetup.CpuBFloat16Instructions(cpuinfo));
        Assert.Null(DeviceSetup.CpuBFloat16Instructions(Path.Combine(folder.Path, "missing")));
        // This machine: what Setup prints agrees with its own flags and with the check of its bfloat16 convolutions.
        var info = DeviceSetup.Setup(quiet: true);
        Assert.Equal(info.BFloat16Instructions is null ? null : BFloat16Convolutions.Fault, info.BFloat16Fault);
        Assert.Equal(info.BFloat16Instructions is not null && info.BFloat16Fault is null, info.FastBFloat16);
        Assert.Contains(info.FastBFloat16 ? "bfloat16 fast" : info.BFloat16Fault is null ? "bfloat16 emulated" : $"bfloat16 not used: {info.BFloat16Fault}: train in float32", info.ToString());
    }

    [Fact]
    public void A_cpu_whose_bfloat16_convolutions_are_wrong_is_not_given_bfloat16_and_the_line_says_why()
    {
        var healthy = new DeviceInfo(torch.CPU, "0.107.0", "2.10.0", 0, 2, 42, null) { BFloat16Instructions = "avx512_bf16" };
        Assert.True(healthy.FastBFloat16);
        Assert.Contains("bfloat16 fast (avx512_bf16)", healthy.ToString());
        var faulty = healthy with { BFloat16Fault = "bfloat16 convolutions compute wrong results on this CPU (a test's words)" };
        Assert.False(faulty.FastBFloat16);
        Assert.Contains("bfloat16 not used: bfloat16 convolutions compute wrong results on this CPU (a test's words): train in float32", faulty.ToString());
    }

    [Fact]
    public void The_device_line_says_that_freed_memory_is_reused()
    {
        var info = DeviceSetup.Setup(quiet: true);
        Assert.True(info.ReusesFreedMemory);
        Assert.Contains("freed tensor memory reused", info.ToString());
    }
}
