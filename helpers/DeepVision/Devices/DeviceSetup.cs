using System.Runtime.InteropServices;

namespace DeepVision.Devices;

/// <summary>What <see cref="DeviceSetup.Setup"/> found: the device to use and the facts behind the choice.</summary>
public sealed record DeviceInfo(Device Device, string TorchSharpVersion, string LibTorchVersion, int CudaDeviceCount, int Threads, int Seed, string? Warning)
{
    /// <summary>
    /// Whether the device computes in bfloat16 natively, so that mixed precision
    /// (<c>TrainingOptions.Precision = Precision.MixedBFloat16</c>) trains about twice as fast: a CPU with AVX-512 BF16
    /// or AMX (Intel Cooper Lake, Sapphire Rapids and later; AMD Zen 4 and later) or ARM's BF16 extension, or a CUDA GPU.
    /// Elsewhere bfloat16 is emulated and slower than float32. False also where the CPU has the instructions but its
    /// bfloat16 convolutions compute wrong results, or oneDNN, its fast kernels, is switched off or limited to instruction
    /// sets without bfloat16 instructions, the helpers' SSE4.1 limit included (<see cref="BFloat16Fault"/>).
    /// </summary>
    public bool FastBFloat16 => Device.type == DeviceType.CUDA || (BFloat16Instructions is not null && BFloat16Fault is null);

    /// <summary>The CPU instructions behind <see cref="FastBFloat16"/> ("avx512_bf16", "amx_bf16", "bf16"), or null.</summary>
    public string? BFloat16Instructions { get; init; }

    /// <summary>Why this CPU, which has bfloat16 instructions, should not train in bfloat16 (<see cref="BFloat16Convolutions.Fault"/>), or null.</summary>
    public string? BFloat16Fault { get; init; }

    /// <summary>
    /// What was wrong with libtorch's oneDNN convolutions on this CPU and what was done (<see cref="OneDnnConvolutions.Fault"/>:
    /// oneDNN limited to its SSE4.1 kernels, or switched off, where that makes them right), or null where they are right.
    /// </summary>
    public string? OneDnnFault { get; init; }

    /// <summary>Whether libtorch's oneDNN kernels are switched off in this process (<see cref="OneDnnConvolutions.SwitchedOff"/>).</summary>
    public bool OneDnnSwitchedOff { get; init; }

    /// <summary>Whether oneDNN computes with its SSE4.1 kernels only in this process (<see cref="OneDnnConvolutions.LimitedToSse41"/>).</summary>
    public bool OneDnnLimitedToSse41 { get; init; }

    /// <summary>Whether freed CPU tensor memory is kept for reuse (<see cref="CpuAllocator.ReuseFreedMemory"/>: Linux with glibc).</summary>
    public bool ReusesFreedMemory { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"device: {Device.type}{(Device.type == DeviceType.CUDA ? $" ({CudaDeviceCount} CUDA device{(CudaDeviceCount == 1 ? "" : "s")})" : "")}, " +
        $"TorchSharp {TorchSharpVersion}, libtorch {LibTorchVersion}, {Threads} CPU threads, seed {Seed}, " +
        (ReusesFreedMemory ? "freed tensor memory reused, " : "") +
        (FastBFloat16 ? $"bfloat16 fast ({BFloat16Instructions ?? "GPU"})"
            : BFloat16Fault is { } fault ? $"bfloat16 not used: {fault}: train in float32"
            : "bfloat16 emulated (no CPU bfloat16 instructions): train in float32") +
        (OneDnnFault is null ? "" : $"\nCPU convolutions: {OneDnnFault}") +
        (Warning is null ? "" : $"\nwarning: {Warning}");
}

/// <summary>One call at the top of every notebook: choose the device (CUDA, then MPS, then CPU), seed everything,
/// keep freed CPU tensor memory for reuse, and limit or switch off libtorch's oneDNN where it computes wrong convolutions.</summary>
public static class DeviceSetup
{
    /// <summary>
    /// Loads TorchSharp's own native libraries (<see cref="NativeTorch.LoadOwnLibraries"/>); checks this CPU's oneDNN
    /// convolutions, limiting oneDNN to its SSE4.1 kernels on a CPU that hides its caches and switching it off where they
    /// are wrong (<see cref="OneDnnConvolutions"/>); picks CUDA when TorchSharp
    /// can use it, then Apple's MPS, then the CPU; initialises the device type the way
    /// scripts and notebooks need; seeds libtorch's generators; keeps freed CPU tensor memory for reuse
    /// (<see cref="CpuAllocator.ReuseFreedMemory"/>); prints what it found (unless <paramref name="quiet"/>).
    /// <paramref name="prefer"/> ("cpu", "cuda", "mps") forces a choice, failing clearly when it is not available.
    /// </summary>
    public static DeviceInfo Setup(int seed = 42, string? prefer = null, bool quiet = false)
    {
        // Before TorchSharp's first native call: its own libtorch, not another one on the library path.
        NativeTorch.LoadOwnLibraries();
        // Before anything computes a convolution: oneDNN fixes its instruction set at its first computation.
        var oneDnnFault = OneDnnConvolutions.Fault;
        var reusesFreedMemory = CpuAllocator.ReuseFreedMemory();
        torch.manual_seed(seed);
        var cuda = TryInitialize(DeviceType.CUDA);
        var cudaCount = cuda ? torch.cuda.device_count() : 0;
        if (cuda) torch.cuda.manual_seed_all(seed);
        var mps = !cuda && TryInitialize(DeviceType.MPS);
        var device = (prefer?.ToLowerInvariant()) switch
        {
            null => cuda ? torch.CUDA : mps ? new Device(DeviceType.MPS) : torch.CPU,
            "cpu" => torch.CPU,
            "cuda" => cuda ? torch.CUDA : throw new InvalidOperationException("prefer: \"cuda\" was asked for, but TorchSharp sees no CUDA device. " + CudaHint()),
            "mps" => mps ? new Device(DeviceType.MPS) : throw new InvalidOperationException("prefer: \"mps\" was asked for, but this is not an Apple-silicon Mac with MPS."),
            _ => throw new ArgumentException($"prefer must be \"cpu\", \"cuda\" or \"mps\", not \"{prefer}\".", nameof(prefer)),
        };
        string? warning = !cuda && NvidiaGpuPresent() ? "an NVIDIA GPU is present, but TorchSharp cannot use it. " + CudaHint() : null;
        if (!OneDnnConvolutions.Right)
            warning = (warning is null ? "" : warning + "\nwarning: ") + "convolutions on this CPU compute wrong results (CPU convolutions line): use another machine for results you rely on";
        var bfloat16Instructions = CpuBFloat16Instructions();
        var info = new DeviceInfo(device, typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?", LibTorchVersion(),
            cudaCount, torch.get_num_threads(), seed, warning)
        {
            BFloat16Instructions = bfloat16Instructions,
            // Only where bfloat16 would be chosen: a CPU with the instructions (the check computes on the CPU).
            BFloat16Fault = device.type == DeviceType.CPU && bfloat16Instructions is not null ? BFloat16Convolutions.Fault : null,
            ReusesFreedMemory = reusesFreedMemory,
            OneDnnFault = oneDnnFault,
            OneDnnSwitchedOff = OneDnnConvolutions.SwitchedOff,
            OneDnnLimitedToSse41 = OneDnnConvolutions.LimitedToSse41,
        };
        if (!quiet)
        {
            Console.WriteLine(info);
            OneDnnConvolutions.TakeUnreported();   // shown: the training loop need not say it again
        }
        return info;
    }

    /// <summary>The bfloat16 instructions the CPU has, from /proc/cpuinfo's flags (Linux; elsewhere null: unknown).</summary>
    internal static string? CpuBFloat16Instructions(string cpuinfo = "/proc/cpuinfo")
    {
        if (!File.Exists(cpuinfo)) return null;
        var flags = File.ReadLines(cpuinfo)
            .Where(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal))
            .SelectMany(l => l[(l.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        var found = new[] { "avx512_bf16", "amx_bf16", "bf16" }.Where(flags.Contains).ToList();
        return found.Count > 0 ? string.Join(", ", found) : null;
    }

    private static bool TryInitialize(DeviceType type)
    {
        try { return torch.TryInitializeDeviceType(type) && (type != DeviceType.CUDA || torch.cuda.is_available()); }
        catch (Exception) { return false; }
    }

    private static string CudaHint() =>
        "The notebook references TorchSharp-cpu: replace #r \"nuget: TorchSharp-cpu, 0.107.0\" by " +
        $"#r \"nuget: {(OperatingSystem.IsWindows() ? "TorchSharp-cuda-windows" : "TorchSharp-cuda-linux")}, 0.107.0\" " +
        "(an up-to-date NVIDIA driver is all it needs besides), then restart the kernel.";

    // A driver is installed: Linux exposes /proc/driver/nvidia, Windows has nvcuda.dll.
    private static bool NvidiaGpuPresent() =>
        OperatingSystem.IsLinux() ? Directory.Exists("/proc/driver/nvidia/gpus") && Directory.EnumerateFileSystemEntries("/proc/driver/nvidia/gpus").Any()
        : OperatingSystem.IsWindows() && File.Exists(Path.Combine(Environment.SystemDirectory, "nvcuda.dll"));

    private static string LibTorchVersion()
    {
        // TorchSharp packages name the libtorch they ship: libtorch-cpu-<rid> 2.10.0 for TorchSharp 0.107.0.
        var attribute = typeof(torch).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key.Contains("LibTorch", StringComparison.OrdinalIgnoreCase));
        return attribute?.Value ?? (typeof(torch).Assembly.GetName().Version?.ToString(3) == "0.107.0" ? "2.10.0" : "unknown");
    }
}
