using DeepVision.Models;

namespace DeepVision.Tests.Models;

/// <summary>The course's from-scratch models start as torchvision's do (TorchVision's own models already do).</summary>
[Collection(RunsAloneCollection.Name)]
public class InitializationTests
{
    private static double Std(Tensor t) => t.to_type(ScalarType.Float64).std().item<double>();

    [Fact]
    public void Cifar_resnets_and_cifar_net_use_he_normal_with_fan_out_and_unit_batch_norm()
    {
        torch.manual_seed(0);
        using var resnet = Zoo.resnet_cifar(56);
        using var cifarNet = Zoo.cifar_net(width: 48);
        foreach (var (model, name) in new (nn.Module, string)[] { (resnet, "resnet_cifar"), (cifarNet, "cifar_net") })
        {
            var convolutions = model.named_parameters().Where(p => p.parameter.dim() == 4).ToList();
            Assert.NotEmpty(convolutions);
            foreach (var (parameter, weight) in convolutions)
            {
                var fanOut = weight.shape[0] * weight.shape[2] * weight.shape[3];
                var expected = Math.Sqrt(2.0 / fanOut);
                Assert.True(Math.Abs(Std(weight) / expected - 1) < 0.15, $"{name} {parameter}: std {Std(weight):E3}, He fan_out {expected:E3}");
            }
            foreach (var (parameter, value) in model.named_parameters().Where(p => p.name.Contains("bn") || p.name.StartsWith("features.", StringComparison.Ordinal) && p.parameter.dim() == 1))
                Assert.Equal(parameter.EndsWith("weight") ? 1.0 : 0.0, value.to_type(ScalarType.Float64).mean().item<double>(), 9);
        }
        // VGG's rule for the classifier (normal, std 0.01, zero bias); ResNet keeps PyTorch's default for its fc.
        var classifier = cifarNet.state_dict()["classifier.2.weight"];
        Assert.InRange(Std(classifier), 0.009, 0.011);
        Assert.Equal(0.0, cifarNet.state_dict()["classifier.2.bias"].abs().max().item<float>());
        Assert.True(resnet.state_dict()["fc.bias"].abs().max().item<float>() > 0);
    }

    [Fact]
    public void The_vit_starts_as_torchvisions_zero_head_small_mlp_biases_scaled_patch_projection()
    {
        torch.manual_seed(0);
        using var vit = Zoo.vit_cifar();
        var weights = vit.state_dict();
        Assert.Equal(0.0, weights["heads.head.weight"].abs().max().item<float>());
        Assert.Equal(0.0, weights["heads.head.bias"].abs().max().item<float>());
        Assert.InRange(weights["encoder.layers.encoder_layer_0.mlp.0.bias"].abs().max().item<float>(), 1e-9f, 1e-5f);
        Assert.Equal(0.0, weights["encoder.layers.encoder_layer_0.self_attention.out_proj.bias"].abs().max().item<float>());
        Assert.Equal(0.0, weights["encoder.layers.encoder_layer_0.self_attention.in_proj_bias"].abs().max().item<float>());
        // Normal with std √(1/fan_in), truncated at ±2 (absolute, as torchvision's trunc_normal_ call has it).
        var expected = Math.Sqrt(1.0 / (3 * 4 * 4));
        Assert.True(Math.Abs(Std(weights["conv_proj.weight"]) / expected - 1) < 0.1, $"conv_proj std {Std(weights["conv_proj.weight"]):E3}, expected about {expected:E3}");
        Assert.InRange(Std(weights["encoder.pos_embedding"]), 0.018, 0.022);
        // Xavier uniform: std √(2 / (fan_in + fan_out)).
        var mlp = weights["encoder.layers.encoder_layer_0.mlp.0.weight"];
        Assert.InRange(Std(mlp) / Math.Sqrt(2.0 / (mlp.shape[0] + mlp.shape[1])), 0.95, 1.05);
    }
}
