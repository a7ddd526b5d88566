using DeepVision.Models;
using DeepVision.Training;

namespace DeepVision.Tests.Models;

/// <summary>The CPU-sized members of the zoo: shapes, sizes as published, and that they learn real CIFAR-10 images.</summary>
[Collection(RunsAloneCollection.Name)]
public class SmallModelsTests
{
    [Fact]
    public void Cifar_models_map_32x32_images_to_ten_logits()
    {
        using var input = randn(2, 3, 32, 32);
        foreach (var model in new nn.Module<Tensor, Tensor>[] { Zoo.cifar_net(), Zoo.alexnet_cifar(), Zoo.resnet_cifar(20), Zoo.resnet_cifar(20, residual: false), Zoo.vit_cifar() })
        {
            using (model)
            {
                model.eval();
                using var noGrad = no_grad();
                using var logits = model.call(input);
                Assert.Equal([2L, 10], logits.shape);
            }
        }
    }

    [Fact]
    public void Sizes_match_their_papers()
    {
        // He et al. 2015, table 6: ResNet-20 has 0.27M parameters, ResNet-56 0.85M, ResNet-110 1.7M.
        Assert.Equal(0.27, Math.Round(Zoo.resnet_cifar(20).ParameterCount() / 1e6, 2));
        Assert.Equal(0.85, Math.Round(Zoo.resnet_cifar(56).ParameterCount() / 1e6, 2));
        Assert.Equal(1.7, Math.Round(Zoo.resnet_cifar(110).ParameterCount() / 1e6, 1));
        // A plain network differs only by its missing skips: same parameters.
        Assert.Equal(Zoo.resnet_cifar(20).ParameterCount(), Zoo.resnet_cifar(20, residual: false).ParameterCount());
        // LeNet-5: 61,706 parameters; ViT-B/16: 86.6M (Dosovitskiy et al. 2020, table 1: "86M").
        Assert.Equal(61_706L, Zoo.lenet5().ParameterCount());
        Assert.Equal(86.6, Math.Round(Zoo.vit_b_16().ParameterCount() / 1e6, 1));
        // The CIFAR AlexNet's classifier is narrowed to 2,304 → 4,096 → 1,024 → 10.
        var alex = Zoo.alexnet_cifar().state_dict();
        Assert.Equal([4096L, 2304], alex["classifier.1.weight"].shape);
        Assert.Equal([1024L, 4096], alex["classifier.4.weight"].shape);
        Assert.Equal([10L, 1024], alex["classifier.6.weight"].shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => Zoo.resnet_cifar(21));
    }

    [Fact]
    public void A_residual_network_learns_a_batch_of_real_cifar_images()
    {
        var data = DeepVision.Data.Datasets.CIFAR10(train: false, root: Path.Combine(RepoPaths.Root, "datasets"));
        using var images = (data.Images[..64].to_type(ScalarType.Float32) / 255 - 0.5) / 0.25;
        using var labels = data.Labels[..64].clone();
        torch.manual_seed(1);
        using var model = Zoo.resnet_cifar(20);
        using var optimizer = optim.Adam(model.parameters(), 1e-2);
        model.train();
        float first = 0, last = 0;
        for (var step = 0; step < 40; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(images), labels);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < first / 4, $"loss went from {first} to {last}: the network does not learn");
    }
}
