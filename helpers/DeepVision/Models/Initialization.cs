using TorchSharp.Modules;

namespace DeepVision.Models;

/// <summary>
/// torchvision's weight initializations, which the course's models apply in their constructors as torchvision's
/// models do (TorchVision's own models already do): a network trained from scratch starts where PyTorch's would.
/// </summary>
internal static class Initialization
{
    /// <summary>
    /// ResNet's, VGG's and MobileNet's rule: He (Kaiming) normal initialization with fan_out for every convolution
    /// (He et al. 2015, as torchvision chooses it), zero biases, batch normalization at scale 1 and shift 0; linear
    /// layers normal(0, <paramref name="linearStd"/>) with zero bias (VGG, MobileNet), or PyTorch's default when it is
    /// null (ResNet).
    /// </summary>
    public static void Convolutional(nn.Module model, double? linearStd)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, 0, nn.init.FanInOut.FanOut, nn.init.NonlinearityType.ReLU);
                    if (conv.bias is { } convBias) nn.init.zeros_(convBias);
                    break;
                case BatchNorm2d norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias);
                    break;
                case Linear linear when linearStd is { } std:
                    nn.init.normal_(linear.weight, 0, std);
                    if (linear.bias is { } linearBias) nn.init.zeros_(linearBias);
                    break;
            }
        }
    }
}
