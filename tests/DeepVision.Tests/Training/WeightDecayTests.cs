using DeepVision.Training;

namespace DeepVision.Tests.Training;

public class WeightDecayTests
{
    [Fact]
    public void Only_convolution_and_linear_weights_decay_and_normalization_and_biases_do_not()
    {
        using var model = DeepVision.Models.Zoo.cifar_net(width: 8);
        var (decayed, notDecayed) = WeightDecay.Split(model);
        var named = model.named_parameters().ToDictionary(p => p.parameter.Handle, p => p.name);
        Assert.All(decayed, p => Assert.True(p.dim() > 1, $"{named[p.Handle]} decayed"));
        Assert.Contains(notDecayed, p => named[p.Handle].EndsWith(".bias", StringComparison.Ordinal));
        Assert.Equal(model.parameters().Count(), decayed.Count + notDecayed.Count);

        // One step with zero gradients: SGD's decay alone moves the weights, by lr · wd · w, and nothing else.
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var sgd = WeightDecay.Sgd(model, learningRate: 0.1, momentum: 0.0, weightDecay: 0.5);
        foreach (var p in model.parameters()) p.grad = torch.zeros_like(p);
        sgd.step();
        foreach (var (name, p) in model.named_parameters())
        {
            var expected = p.dim() > 1 ? before[name] * (1 - 0.1 * 0.5) : before[name];
            Assert.True(p.detach().allclose(expected, rtol: 1e-5, atol: 1e-7), $"{name} after one step of decay alone");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightDecay.AdamW(model, learningRate: 0, weightDecay: 0.05));
    }
}
