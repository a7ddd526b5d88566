using DeepVision.Data;
using DeepVision.Models;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Models;

public class PatchWhiteningTests
{
    private static Tensor NormalizedCifar(bool train, int count)
    {
        using var data = Datasets.CIFAR10(train: train, root: RepoPaths.Samples());
        using var x = data.Images[..count].to_type(ScalarType.Float32).div(255f);
        return Transforms.Normalize(Transforms.Cifar10Mean, Transforms.Cifar10Std)(x);
    }

    [Fact]
    public void The_whitened_patches_of_real_cifar_images_are_uncorrelated_with_the_variance_the_formula_gives()
    {
        using var images = NormalizedCifar(train: true, 1000);
        using var conv = Conv2d(3, 24, 2, bias: false);
        using var values = PatchWhitening.Initialize(conv, images, epsilon: 5e-4);
        var eigenvalues = values.data<float>().ToArray();
        Assert.Equal(12, eigenvalues.Length);
        Assert.True(eigenvalues.Zip(eigenvalues.Skip(1)).All(p => p.First >= p.Second), "eigenvalues not largest first");
        Assert.True(eigenvalues[^1] > 0, "a 2x2 patch second-moment matrix of real images is positive definite");

        using var noGrad = torch.no_grad();
        using var output = conv.forward(images);              // [1000, 24, 31, 31]
        using var whitened = output[.., ..12].permute(0, 2, 3, 1).reshape(-1, 12).to(ScalarType.Float64);
        using var moment = whitened.t().matmul(whitened) / whitened.shape[0];
        // E[y yᵀ] = diag(λ / (λ + ε)) over the very patches the filters came from.
        using var lambda = values.to(ScalarType.Float64);
        using var expected = torch.diag(lambda / (lambda + 5e-4));
        var error = (moment - expected).abs().max().item<double>();
        Assert.True(error < 2e-3, $"second moment of the whitened patches is {error:G3} away from diag(λ/(λ+ε))");
        // The second half of the filters are the negatives of the first.
        using var weight = conv.weight!.detach();
        Assert.True(weight[12..].add(weight[..12]).abs().max().item<float>() < 1e-6);

        // On images it never saw the outputs stay close to uncorrelated: the filters describe CIFAR-10, not the sample.
        using var test = NormalizedCifar(train: false, 500);
        using var testOut = conv.forward(test)[.., ..12].permute(0, 2, 3, 1).reshape(-1, 12).to(ScalarType.Float64);
        using var testMoment = testOut.t().matmul(testOut) / testOut.shape[0];
        using var offDiagonal = testMoment - torch.diag(torch.diagonal(testMoment));
        Assert.True(offDiagonal.abs().max().item<double>() < 0.15, $"largest correlation on test images {offDiagonal.abs().max().item<double>():F3}");
    }

    [Fact]
    public void Layers_and_images_that_do_not_fit_are_refused_naming_the_sizes()
    {
        using var images = NormalizedCifar(train: true, 16);
        Assert.Contains("12 filters", Assert.Throws<ArgumentException>(() => PatchWhitening.Initialize(Conv2d(3, 16, 2), images)).Message);
        Assert.Contains("3 channels", Assert.Throws<ArgumentException>(() => PatchWhitening.Initialize(Conv2d(1, 4, 2), images)).Message);
        using var bytes = images.to(ScalarType.Byte);
        Assert.Contains("float batch", Assert.Throws<ArgumentException>(() => PatchWhitening.Initialize(Conv2d(3, 12, 2), bytes)).Message);
        using var withBias = Conv2d(3, 12, 2);
        PatchWhitening.Initialize(withBias, images);
        Assert.Equal(0f, withBias.bias!.abs().sum().item<float>());
    }
}
