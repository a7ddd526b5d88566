using DeepVision.Devices;

namespace DeepVision.NotebookTool;

/// <summary>
/// Whether the CPU describes its caches to programs. Some virtual machines answer the CPUID leaf that lists the caches
/// (AMD's 0x8000001D, Intel's leaf 4) with zeros; libtorch's oneDNN sizes
/// some convolution kernels by those caches and then divides by zero (SIGFPE, exit 136), for example in the backward
/// pass of torchvision's resnet50. Linux sees the same leaf and then lists no caches under
/// /sys/devices/system/cpu/cpu0/cache.
/// </summary>
public static class CpuCacheTopology
{
    /// <summary>True where the CPU has the cache leaf and it names no cache; false elsewhere, also where this cannot be
    /// known (not an x86 CPU, another vendor, no such leaf). The helpers' own reading, compiled in here.</summary>
    public static bool Hidden => CpuCacheDescription.Hidden;

    /// <summary>What a learner needs to know where <see cref="Hidden"/>, in a sentence; null elsewhere.</summary>
    public static string? Explanation => Hidden
        ? "this CPU hides its cache sizes from programs (a virtual machine's CPUID), and libtorch's oneDNN divides by them in some convolutions' backward pass; helpers 0.20.0 and later limit oneDNN to its SSE4.1 kernels on such a CPU and check them, 0.19.0 switches oneDNN off where it finds its convolutions wrong, earlier helpers do neither (README, Troubleshooting)"
        : null;
}
