using DeepVision.Models;

namespace DeepVision.Tests.Models;

/// <summary>The helpers' dropout computes what nn.Dropout computes: the drop rate, the scaling, the gradient, evaluation.
/// Runs alone: "the same seed draws the same mask" reseeds libtorch's global generator, which a parallel test drawing in
/// between changes (it failed so once, on a slow 2-core machine).</summary>
[Collection(RunsAloneCollection.Name)]
public class MaskDropoutTests
{
    [Theory]
    [InlineData(0.1, ScalarType.Float32)]
    [InlineData(0.5, ScalarType.Float32)]
    [InlineData(0.1, ScalarType.BFloat16)]
    public void Training_zeroes_a_fraction_p_and_scales_the_rest_by_one_over_one_minus_p(double p, ScalarType type)
    {
        torch.manual_seed(3);
        using var dropout = new MaskDropout(p);
        dropout.train();
        using var input = (torch.rand(256, 65, 64) + 0.5).to_type(type);     // no zeros of its own
        using var output = dropout.call(input);
        Assert.Equal(type, output.dtype);
        Assert.Equal(input.shape, output.shape);
        using var zeroed = output.eq(0);
        var dropped = zeroed.to_type(ScalarType.Float64).mean().item<double>();
        // 1,064,960 elements: the binomial's standard deviation is below 0.0005.
        Assert.InRange(dropped, p - 0.003, p + 0.003);
        using var kept = output.masked_select(zeroed.logical_not()).to_type(ScalarType.Float64);
        using var expected = input.masked_select(zeroed.logical_not()).to_type(ScalarType.Float64) / (1 - p);
        var tolerance = type == ScalarType.BFloat16 ? 0.02 : 1e-6;
        Assert.True((kept - expected).abs().div(expected).max().item<double>() < tolerance, "kept elements must be scaled by 1/(1 - p)");
    }

    [Fact]
    public void The_gradient_is_the_mask_times_the_scale_and_the_draws_follow_the_seed()
    {
        using var dropout = new MaskDropout(0.25);
        dropout.train();
        using var input = torch.ones(1000, 100).requires_grad_(true);
        torch.manual_seed(7);
        using var output = dropout.call(input);
        output.sum().backward();
        // d(output)/d(input) is the mask scaled: 0 where dropped, 1/(1 - p) where kept, so it equals the output of ones.
        Assert.True(input.grad!.allclose(output.detach()), "the gradient must be the scaled mask");
        torch.manual_seed(7);
        using var again = dropout.call(input);
        Assert.True(again.eq(output).all().item<bool>(), "the same seed must draw the same mask");
    }

    [Fact]
    public void Evaluation_and_p_zero_pass_the_input_through_and_p_one_drops_everything()
    {
        using var input = torch.randn(8, 16);
        using var dropout = new MaskDropout(0.5);
        dropout.eval();
        using (var output = dropout.call(input)) Assert.True(output.eq(input).all().item<bool>());
        using var none = new MaskDropout(0.0);
        none.train();
        using (var output = none.call(input)) Assert.True(output.eq(input).all().item<bool>());
        using var all = new MaskDropout(1.0);
        all.train();
        using (var output = all.call(input)) Assert.Equal(0.0, output.abs().sum().item<float>());
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_probability_outside_zero_to_one_is_refused_naming_p(double p)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MaskDropout(p));
        Assert.Equal("p", error.ParamName);
    }

    [Fact]
    public void The_vit_uses_it_and_keeps_torchvisions_parameter_names()
    {
        using var vit = Zoo.vit_cifar(layers: 1);
        var dropouts = vit.named_modules().Where(m => m.module is MaskDropout).Select(m => m.name).ToList();
        Assert.Equal(["encoder.dropout", "encoder.layers.encoder_layer_0.dropout", "encoder.layers.encoder_layer_0.mlp.2", "encoder.layers.encoder_layer_0.mlp.4"], dropouts);
        Assert.DoesNotContain(vit.named_modules(), m => m.module is TorchSharp.Modules.Dropout);
    }
}
