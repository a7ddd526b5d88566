using System.Runtime.CompilerServices;
using DeepVision.Devices;

namespace DeepVision.Tests;

/// <summary>
/// Every test computes on the kernels a notebook computes on: DeviceSetup and the training loop switch libtorch's oneDNN
/// off where its convolutions are wrong (<see cref="OneDnnConvolutions"/>), and many tests call neither, so the check
/// runs once when this assembly loads, before any test.
/// </summary>
internal static class ConvolutionCheck
{
    [ModuleInitializer]
    internal static void BeforeAnyTest() => OneDnnConvolutions.EnsureChecked();
}
