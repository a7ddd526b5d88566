using System.Runtime.Intrinsics.X86;

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
    private const int AmdCacheLeaf = unchecked((int)0x8000001D);
    private const int IntelCacheLeaf = 4;

    /// <summary>True where the CPU has the cache leaf and it names no cache; false elsewhere, also where this cannot be
    /// known (not an x86 CPU, another vendor, no such leaf).</summary>
    public static bool Hidden { get; } = ReadHidden();

    /// <summary>What a learner needs to know where <see cref="Hidden"/>, in a sentence; null elsewhere.</summary>
    public static string? Explanation => Hidden
        ? "this CPU hides its cache sizes from programs (a virtual machine's CPUID), and libtorch's oneDNN divides by them in some convolutions' backward pass; helpers 0.19.0 and later switch oneDNN off where they find its convolutions wrong, as on the one such machine seen so far; earlier helpers do not (README, Troubleshooting)"
        : null;

    private static bool ReadHidden()
    {
        if (!X86Base.IsSupported) return false;
        var (maxLeaf, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var vendor = string.Concat(new[] { ebx, edx, ecx }.Select(r => string.Concat(BitConverter.GetBytes(r).Select(b => (char)b))));
        if (vendor == "AuthenticAMD")
        {
            // Not conditioned on the topology-extensions flag: the virtual machine that led here lists it in Linux's
            // /proc/cpuinfo but clears it in the CPUID a program reads, and still answers the leaf with zeros.
            var maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
            return maxExtended >= 0x8000001D && (X86Base.CpuId(AmdCacheLeaf, 0).Eax & 0x1F) == 0;
        }
        if (vendor == "GenuineIntel")
            return maxLeaf >= IntelCacheLeaf && (X86Base.CpuId(IntelCacheLeaf, 0).Eax & 0x1F) == 0;
        return false;
    }
}
