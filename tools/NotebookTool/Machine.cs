namespace DeepVision.NotebookTool;

/// <summary>The machine a recording ran on.</summary>
public sealed record Machine(string Cpu, int Cores, string Os)
{
    public static Machine This()
    {
        var cpu = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        return new Machine(cpu, Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.OSDescription);
    }
}
