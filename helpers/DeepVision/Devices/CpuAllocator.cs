using System.Runtime.InteropServices;

namespace DeepVision.Devices;

/// <summary>
/// How the C library's allocator treats freed tensor memory on the CPU. libtorch allocates every CPU tensor with
/// malloc, and glibc's defaults give large freed blocks back to the kernel, so a training step that frees its
/// activations makes the next step fault every page in again. A .NET process suffers more than python (whose
/// allocations come from the heap glibc tunes as it goes): notebook 06's network took about three times PyTorch's page
/// faults per step and 20% longer in float32 until these thresholds were set (ResNet-20 9%; bfloat16 steps, whose
/// activations are half the size, a few percent).
/// </summary>
public static class CpuAllocator
{
    /// <summary>Blocks up to this size come from malloc's reusable heap: 32 MiB, the most glibc accepts on 64-bit (half
    /// its 64 MiB heaps). A CIFAR-10 batch's largest activation (128 x 48 x 32 x 32 in float32) is 25 MiB.</summary>
    public const int MmapThreshold = 32 << 20;

    /// <summary>Free memory kept for the next step before any is given back to the kernel: 512 MiB, more than a CIFAR
    /// training step's transient memory; a process keeps at most this much beyond what it uses.</summary>
    public const int TrimThreshold = 512 << 20;

    /// <summary>Extra memory each heap keeps when it grows or shrinks: 64 MiB, one of the heaps that threads other than the
    /// process's first allocate from (a notebook kernel runs cells on such threads); with less, they still fault pages
    /// in at every step.</summary>
    public const int TopPad = 64 << 20;

    private const int MallocTrimThreshold = -1, MallocTopPad = -2, MallocMmapThreshold = -3; // glibc's M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MalloptFunction(int parameter, int value);

    private static readonly Lazy<bool> Applied = new(Apply);

    /// <summary>
    /// Sets glibc's thresholds so that freed tensor memory is reused by the next step instead of being returned to the
    /// kernel and faulted in again. Process-wide, idempotent, and safe anywhere: true on Linux with glibc, where it took
    /// effect; false elsewhere (Windows, macOS, musl), where it does nothing. <see cref="DeviceSetup.Setup"/> calls it.
    /// </summary>
    public static bool ReuseFreedMemory() => Applied.Value;

    private static bool Apply()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return false;
        // gnu_get_libc_version exists only in glibc: musl's mallopt is a stub.
        if (!NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _) || !NativeLibrary.TryGetExport(libc, "mallopt", out var address))
            return false;
        var mallopt = Marshal.GetDelegateForFunctionPointer<MalloptFunction>(address);
        // mallopt returns 1 on success; setting either threshold also stops glibc from adjusting them itself.
        return mallopt(MallocMmapThreshold, MmapThreshold) == 1 && mallopt(MallocTrimThreshold, TrimThreshold) == 1 && mallopt(MallocTopPad, TopPad) == 1;
    }
}
