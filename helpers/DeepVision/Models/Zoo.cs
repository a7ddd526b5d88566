namespace DeepVision.Models;

/// <summary>
/// The models TorchVision lacks: the CPU-sized networks the course trains (LeNet-5, notebook 06's CIFAR network, a
/// CIFAR AlexNet, CIFAR ResNets, a small ViT), ResNet-D and ViT-B/16, named the torchvision way. The standard ImageNet
/// architectures are TorchVision's own: <c>torchvision.models.alexnet()</c>, <c>vgg16()</c>, <c>resnet18()</c>,
/// <c>mobilenet_v2()</c>, …, with torchvision's state_dict names, so that its weights load by name.
/// </summary>
public static class Zoo
{
#pragma warning disable IDE1006 // torchvision's snake_case factory names, as learners know them from PyTorch
    /// <summary>LeNet-5 for 28x28 grayscale images (61.7K parameters at 10 classes); optionally with batch normalization.</summary>
    public static LeNet5 lenet5(int numClasses = 10, bool batchNorm = false) => new(numClasses, batchNorm);
    /// <summary>Notebook 06's CIFAR-10 network: six 3x3 convolutions with batch normalization (0.29M parameters at width 32).</summary>
    public static CifarNet cifar_net(int numClasses = 10, int width = 32) => new(numClasses, width);
    /// <summary>AlexNet for 32x32 images (CIFAR-10): a 5x5 stride-1 first convolution and the classifier narrowed to
    /// 2,304 → 4,096 → 1,024 → classes.</summary>
    public static CifarAlexNet alexnet_cifar(int numClasses = 10) => new(numClasses);
    /// <summary>A CIFAR-10 ResNet (He et al. 2015): <paramref name="depth"/> = 6n + 2 layers, 0.27M parameters at depth 20;
    /// without <paramref name="residual"/>, the same network without skip connections.</summary>
    public static CifarResNet resnet_cifar(int depth = 20, int numClasses = 10, bool residual = true) => new(depth, numClasses, residual);
    /// <summary>
    /// ResNet-50-D (He et al. 2019, "bag of tricks"): torchvision's resnet50 with a stem of three 3x3 convolutions and
    /// shortcuts that average before they subsample (25.6M parameters at 1,000 classes, timm's names); each block's last
    /// batch normalization starts at zero unless <paramref name="zeroInitResidual"/> is false.
    /// </summary>
    public static ResNetD resnet50d(int numClasses = 1000, bool zeroInitResidual = true) => new([3, 4, 6, 3], numClasses, zeroInitResidual);
    /// <summary>ResNet-26-D: ResNet-50-D with two blocks per stage (16.0M parameters at 1,000 classes), about 60% of its
    /// compute (2.6 G multiply-adds at 224 px against 4.35 G).</summary>
    public static ResNetD resnet26d(int numClasses = 1000, bool zeroInitResidual = true) => new([2, 2, 2, 2], numClasses, zeroInitResidual);
    /// <summary>
    /// The ImageNet-trained ResNet of the <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> package as a feature extractor
    /// (torchvision-style names, stages [2, 2, 2, 3], 512-d output); its preprocessing is <see cref="ImageNetResNet.Preprocess"/>.
    /// </summary>
    public static ImageNetResNet pretrained_resnet() => ImageNetResNet.Load();
    /// <summary>ViT-B/16: 224 px images in 16 px patches, 12 layers, 12 heads, width 768 (86.6M parameters).</summary>
    public static VisionTransformer vit_b_16(int numClasses = 1000) => new(224, 16, 12, 12, 768, 3072, numClasses);
    /// <summary>
    /// A small Vision Transformer for 32x32 images (CIFAR-10), trainable on a CPU: 4x4 patches (64 tokens plus the class
    /// token), <paramref name="layers"/> encoder blocks of <paramref name="heads"/> heads at width <paramref name="hiddenDim"/>.
    /// </summary>
    public static VisionTransformer vit_cifar(int numClasses = 10, int patchSize = 4, int layers = 6, int heads = 4, int hiddenDim = 128, int mlpDim = 256, double dropout = 0.1) =>
        new(32, patchSize, layers, heads, hiddenDim, mlpDim, numClasses, dropout);
#pragma warning restore IDE1006
}
