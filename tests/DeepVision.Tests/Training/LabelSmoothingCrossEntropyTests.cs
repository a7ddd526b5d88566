using DeepVision.Data;
using DeepVision.Training;

namespace DeepVision.Tests.Training;

public class LabelSmoothingCrossEntropyTests
{
    [Fact]
    public void The_loss_is_cross_entropy_against_the_smoothed_targets()
    {
        // Logits of a small network on real CIFAR-10 images, and their true labels.
        using var data = Datasets.CIFAR10(train: false, root: RepoPaths.Samples());
        using var images = data.Images[..32].to_type(ScalarType.Float32).div(255f);
        var net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10));
        // Spread out 10 times: an untrained layer's logits are nearly uniform, and there smoothing changes the loss by
        // less than the last check's 0.0005 for some random starts (a flaky failure: 2.34485 against 2.34525).
        using var logits = net.call(images) * 10;
        var labels = data.Labels[..32];
        const double smoothing = 0.2;
        // By hand: target probability (1 − ε) on the true class plus ε/K on every class.
        using var logProbabilities = logits.log_softmax(1);
        using var target = nn.functional.one_hot(labels, 10).to_type(ScalarType.Float32) * (1 - smoothing) + smoothing / 10;
        var expected = -(target * logProbabilities).sum(1).mean().item<float>();
        var smoothed = new LabelSmoothingCrossEntropy(smoothing).call(logits, labels).item<float>();
        Assert.Equal(expected, smoothed, 5);
        // With no smoothing it is the ordinary cross-entropy, and smoothing changes it.
        Assert.Equal(nn.CrossEntropyLoss().call(logits, labels).item<float>(), new LabelSmoothingCrossEntropy(0).call(logits, labels).item<float>(), 5);
        Assert.NotEqual(new LabelSmoothingCrossEntropy(0).call(logits, labels).item<float>(), smoothed, 3);
        Assert.Equal("smoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new LabelSmoothingCrossEntropy(1)).ParamName);
    }
}
