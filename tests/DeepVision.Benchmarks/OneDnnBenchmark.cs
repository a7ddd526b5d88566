using DeepVision.Devices;
using DeepVision.Training;
using static DeepVision.Benchmarks.PrecisionBenchmark;

namespace DeepVision.Benchmarks;

/// <summary>
/// What the repairs of <see cref="OneDnnConvolutions"/> cost: float32 training steps of the precision benchmark's four
/// models through Trainer.Fit, with oneDNN as the check left it (on a CPU that hides its caches: limited to its SSE4.1
/// kernels) and with oneDNN switched off (what helpers 0.19.0 did there), side by side in one run. No target: it measures
/// the price of right results on a faulty CPU, and on a healthy one what the switch would cost there. Where the check
/// switched oneDNN off, the "on" column times wrong convolutions. (oneDNN's instruction set is fixed for the process at
/// its first computation, so the unlimited kernels of a limited process cannot be timed beside them.)
/// </summary>
public static class OneDnnBenchmark
{
    public static int Run()
    {
        DeviceSetup.Setup(seed: 0, prefer: "cpu");
        var checkedState = LibTorchBackends.OneDnnEnabled
            ?? throw new InvalidOperationException("this libtorch exports no oneDNN switch: nothing to compare");
        Console.WriteLine($"oneDNN's float32 convolutions on this CPU: {OneDnnConvolutions.Fault ?? "right (the check left oneDNN on)"}");
        Console.WriteLine();
        var on = OneDnnConvolutions.LimitedToSse41 ? "SSE4.1 only" : "oneDNN on";
        Console.WriteLine($"float32 training step, images/s              {on,11} {"oneDNN off",10} {"on/off",8}");
        try
        {
            foreach (var c in Cases)
            {
                var rates = new Dictionary<bool, double>();
                foreach (var enabled in new[] { true, false })
                {
                    if (!LibTorchBackends.TrySetOneDnn(enabled, out var why)) throw new InvalidOperationException(why);
                    rates[enabled] = Rate(c, Precision.Float32);
                }
                Console.WriteLine($"{c.Name + $" ({c.Size}px, batch {c.Batch})",-44} {rates[true],11:F0} {rates[false],10:F0} {rates[true] / rates[false],7:F2}x");
            }
        }
        finally { LibTorchBackends.TrySetOneDnn(checkedState, out _); }
        Console.WriteLine("no target: the cost of libtorch's own kernels where oneDNN's are wrong" +
                          (OneDnnConvolutions.SwitchedOff ? " (here they are: the 'on' column computed wrong convolutions, timed only)"
                           : OneDnnConvolutions.LimitedToSse41 ? " (here oneDNN's faster kernels are, and its SSE4.1 ones compute right: the first column is what the helpers use)" : ""));
        return 0;
    }
}
