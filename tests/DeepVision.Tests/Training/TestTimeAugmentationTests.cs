using DeepVision.Data;
using DeepVision.Tests.Data;
using DeepVision.Training;

namespace DeepVision.Tests.Training;

public class TestTimeAugmentationTests
{
    [Fact]
    public void Shifted_views_are_the_shifts_training_makes()
    {
        using var x = BatchAugmentTests.CifarBatch(4);
        using var upLeft = TestTimeAugmentation.Shift(x, 1);
        using var downRight = TestTimeAugmentation.Shift(x, -2);
        using var trainingUpLeft = BatchAugment.Translate(x, [-1, -1, -1, -1], [-1, -1, -1, -1]);
        using var trainingDownRight = BatchAugment.Translate(x, [2, 2, 2, 2], [2, 2, 2, 2]);
        Assert.True(upLeft.IsSame(trainingUpLeft), "a shift up and left by 1 differs from training's translation");
        Assert.True(downRight.IsSame(trainingDownRight), "a shift down and right by 2 differs from training's translation");
    }

    [Fact]
    public void The_views_logits_are_averaged_with_their_weights()
    {
        using var x = BatchAugmentTests.CifarBatch(8);
        var model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 30 * 30, 10));
        model.eval();
        using var noGrad = torch.no_grad();
        using var image = model.call(x);
        using var mirror = model.call(x.flip(-1));
        using var mirrored = TestTimeAugmentation.Mirror(model).call(x);
        Assert.True((mirrored - (image + mirror) / 2).abs().max().item<float>() < 1e-5);

        var six = TestTimeAugmentation.MirrorAndShift(model);
        Assert.Equal(["image", "mirror", "up-left", "up-left mirror", "down-right", "down-right mirror"], six.Views);
        using var a = TestTimeAugmentation.Shift(x, 1);
        using var b = TestTimeAugmentation.Shift(x, -1);
        using var expected = 0.25 * (image + mirror) + 0.125 * (model.call(a) + model.call(a.flip(-1)) + model.call(b) + model.call(b.flip(-1)));
        using var actual = six.call(x);
        Assert.True((actual - expected).abs().max().item<float>() < 1e-5);
        Assert.False(actual.IsSame(image));
        // It is a module wrapping the model: evaluation mode and parameters reach the model.
        Assert.Equal(model.parameters().Count(), six.parameters().Count());
    }
}
