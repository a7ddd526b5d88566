using static TorchSharp.torch;

namespace DeepVision.Models;

/// <summary>
/// The model zoo, with torchvision's factory names and state_dict names and shapes, so that torchvision's weights
/// load by name. Every factory takes <c>numClasses</c> (default 1000, ImageNet).
/// </summary>
public static class Zoo
{
#pragma warning disable IDE1006 // torchvision's snake_case factory names, as learners know them from PyTorch
    /// <summary>LeNet-5 for 28x28 grayscale images (61.7K parameters at 10 classes); optionally with batch normalization.</summary>
    public static LeNet5 lenet5(int numClasses = 10, bool batchNorm = false) => new(numClasses, batchNorm);
    /// <summary>AlexNet (61.1M parameters at 1000 classes).</summary>
    public static AlexNet alexnet(int numClasses = 1000) => new(numClasses);
    /// <summary>VGG-11 (configuration A).</summary>
    public static VGG vgg11(int numClasses = 1000) => new(11, false, numClasses);
    /// <summary>VGG-11 with batch normalization.</summary>
    public static VGG vgg11_bn(int numClasses = 1000) => new(11, true, numClasses);
    /// <summary>VGG-13 (configuration B).</summary>
    public static VGG vgg13(int numClasses = 1000) => new(13, false, numClasses);
    /// <summary>VGG-13 with batch normalization.</summary>
    public static VGG vgg13_bn(int numClasses = 1000) => new(13, true, numClasses);
    /// <summary>VGG-16 (configuration D, 138.4M parameters at 1000 classes).</summary>
    public static VGG vgg16(int numClasses = 1000) => new(16, false, numClasses);
    /// <summary>VGG-16 with batch normalization.</summary>
    public static VGG vgg16_bn(int numClasses = 1000) => new(16, true, numClasses);
    /// <summary>VGG-19 (configuration E).</summary>
    public static VGG vgg19(int numClasses = 1000) => new(19, false, numClasses);
    /// <summary>VGG-19 with batch normalization.</summary>
    public static VGG vgg19_bn(int numClasses = 1000) => new(19, true, numClasses);
    /// <summary>ResNet-18 (11.7M parameters).</summary>
    public static ResNet resnet18(int numClasses = 1000) => new([2, 2, 2, 2], false, numClasses);
    /// <summary>ResNet-34.</summary>
    public static ResNet resnet34(int numClasses = 1000) => new([3, 4, 6, 3], false, numClasses);
    /// <summary>ResNet-50 (25.6M parameters).</summary>
    public static ResNet resnet50(int numClasses = 1000) => new([3, 4, 6, 3], true, numClasses);
    /// <summary>MobileNetV2 (3.5M parameters).</summary>
    public static MobileNetV2 mobilenet_v2(int numClasses = 1000) => new(numClasses);
    /// <summary>ViT-B/16: 224 px images in 16 px patches, 12 layers, 12 heads, width 768 (86.6M parameters).</summary>
    public static VisionTransformer vit_b_16(int numClasses = 1000) => new(224, 16, 12, 12, 768, 3072, numClasses);
#pragma warning restore IDE1006
}
