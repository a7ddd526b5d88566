using System.Runtime.Intrinsics.X86;

namespace DeepVision.Devices;

/// <summary>
/// Whether the CPU describes its caches to programs. Some virtual machines answer the CPUID leaf that lists the caches
/// (AMD's 0x8000001D, Intel's leaf 4) with zeros; Linux then lists no caches under /sys/devices/system/cpu/cpu0/cache,
/// and libtorch's oneDNN, which sizes its kernels' work by the caches, computed wrong convolutions on the one such machine
/// seen so far (<c>OneDnnConvolutions</c>) and divided by zero in others. Also compiled into the notebook tool,
/// which explains such crashes.
/// </summary>
internal static class CpuCacheDescription
{
    private const int AmdCacheLeaf = unchecked((int)0x8000001D);
    private const int IntelCacheLeaf = 4;

    /// <summary>True where the CPU has the cache leaf and it names no cache; false elsewhere, also where this cannot be
    /// known (not an x86 CPU, another vendor, no such leaf).</summary>
    public static bool Hidden { get; } = ReadHidden();

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
