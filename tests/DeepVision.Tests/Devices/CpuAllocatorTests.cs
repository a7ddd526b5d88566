using DeepVision.Devices;

namespace DeepVision.Tests.Devices;

/// <summary>Runs alone: page faults are counted for the whole process.</summary>
[Collection(RunsAloneCollection.Name)]
public class CpuAllocatorTests
{
    [Fact]
    public void Freed_tensor_memory_is_reused_by_the_next_step_instead_of_faulted_in_again()
    {
        Assert.True(CpuAllocator.ReuseFreedMemory(),
            "CpuAllocator.ReuseFreedMemory() did not take effect: it needs Linux with glibc (the platform CI and build.sh run on).");
        Assert.True(CpuAllocator.ReuseFreedMemory(), "a second call must report the same");

        // A training step's pattern: a dozen activation-sized tensors (24 MiB each, like a CIFAR batch's) written, then
        // all freed. glibc's defaults give them back to the kernel at the end of each round and fault every page in again.
        const int rounds = 8, tensors = 12;
        const long floats = 6L << 20;
        long faults = 0;
        for (var round = 0; round < rounds; round++)
        {
            var before = MinorFaults();
            using (torch.NewDisposeScope())
                for (var i = 0; i < tensors; i++) torch.ones(floats);
            if (round >= 2) faults += MinorFaults() - before; // the first rounds grow the heap
        }
        var touchedPages = (rounds - 2) * tensors * floats * 4 / Environment.SystemPageSize;
        Assert.True(faults < touchedPages / 10,
            $"{faults:N0} page faults for {touchedPages:N0} pages written into reused memory: freed tensor memory went back to the kernel");
    }

    /// <summary>The process's minor page faults so far (field 10 of /proc/self/stat, after the command's closing parenthesis).</summary>
    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7]);
    }
}
