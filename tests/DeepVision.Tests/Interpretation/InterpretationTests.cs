using DeepVision.Data;
using DeepVision.Interpretation;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Interpretation;

[Collection(RunsAloneCollection.Name)]
public class InterpretationTests
{
    /// <summary>
    /// A network whose class-1 score is the brightness its one filter sees, averaged over the image: whatever is bright
    /// is the evidence, so Grad-CAM must light up where the bright patch is.
    /// </summary>
    private static Module<Tensor, Tensor> BrightnessNet()
    {
        var conv = Conv2d(1, 4, 3, padding: 1);
        var fc = Linear(4, 2);
        using (torch.no_grad())
        {
            conv.weight!.fill_(1.0 / 9);
            conv.bias!.zero_();
            fc.weight!.copy_(torch.tensor(new float[,] { { -1, -1, -1, -1 }, { 1, 1, 1, 1 } }));
            fc.bias!.zero_();
        }
        return Sequential(("conv", conv), ("relu", ReLU()), ("pool", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", fc));
    }

    [Fact]
    public void Grad_cam_lights_up_where_the_evidence_is_and_leaves_the_model_clean()
    {
        var model = BrightnessNet();
        model.train();
        var images = torch.zeros(2, 1, 16, 16);
        images[0, 0, 1..5, 1..5] = torch.tensor(1f);      // top left
        images[1, 0, 10..14, 9..13] = torch.tensor(1f);   // bottom right
        var layer = (Module<Tensor, Tensor>)model.named_children().First(c => c.name == "relu").module;
        var heat = GradCam.Compute(model, layer, images, torch.tensor(new long[] { 1, 1 }));
        Assert.Equal([2, 16, 16], heat.shape);
        Assert.InRange(heat.min().item<float>(), 0f, 1e-6f);
        Assert.Equal(1f, heat.max().item<float>(), 5);
        // The hottest pixel of each map is inside (or next to) its bright patch.
        var first = heat[0].argmax().item<long>();
        var second = heat[1].argmax().item<long>();
        Assert.InRange(first / 16, 0, 6); Assert.InRange(first % 16, 0, 6);
        Assert.InRange(second / 16, 9, 15); Assert.InRange(second % 16, 8, 14);
        // Far from the patch there is nothing.
        Assert.True(heat[0, 12.., 12..].max().item<float>() < 0.05f);
        Assert.True(model.training);
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));
        // The hook is gone: a later forward pass does not keep activations' gradients.
        var overlay = GradCam.Overlay(images, heat);
        Assert.Equal([2, 3, 16, 16], overlay.shape);
        Assert.InRange(overlay.max().item<float>(), 0.5f, 1f);
        var conv = (Module<Tensor, Tensor>)model.named_children().First(c => c.name == "flatten").module;
        Assert.Contains("convolutional layer", Assert.Throws<ArgumentException>(() => GradCam.Compute(model, conv, images)).Message);
    }

    [Fact]
    public void Grad_cam_works_on_a_course_model_whose_forward_pass_disposes_its_intermediates()
    {
        torch.manual_seed(0);
        var model = DeepVision.Models.Zoo.cifar_net(width: 8);
        var layer = (Module<Tensor, Tensor>)model.named_modules().First(m => m.name == "features.19").module;
        var images = torch.randn(3, 3, 32, 32);
        var heat = GradCam.Compute(model, layer, images);
        Assert.Equal([3, 32, 32], heat.shape);
        Assert.Equal(1f, heat.amax([1, 2]).min().item<float>(), 5);
        Assert.False(heat.isnan().any().item<bool>());
    }

    [Fact]
    public void Top_losses_are_the_largest_per_example_losses_largest_first()
    {
        torch.manual_seed(0);
        using var data = Datasets.MNIST(train: false, root: Path.Combine(RepoPaths.Root, "datasets"));
        var model = Training.TrainerTests.SmallCnn();
        var loader = new BatchLoader(data, 64, torch.CPU);
        var top = TopLosses.Find(model, loader, count: 5);
        Assert.Equal(5, top.Count);
        // The same losses computed batch by batch outside the helper (the loader disposes each batch after the next).
        var losses = new List<float>();
        using (torch.no_grad())
            foreach (var (x, y) in loader)
                losses.AddRange(functional.cross_entropy(model.forward(x), y, reduction: Reduction.None).data<float>().ToArray());
        var all = torch.tensor(losses.ToArray());
        var expected = all.topk(5).indexes.data<long>().ToArray();
        Assert.Equal(expected, top.Select(t => t.Index).ToArray());
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Loss >= p.Second.Loss));
        Assert.All(top, t => Assert.Equal(data.Labels[t.Index].item<long>(), t.Actual));
        Assert.All(top, t => Assert.InRange(t.Probability, 0.0, 1.0));
        Assert.Throws<ArgumentException>(() => TopLosses.Find(model, new BatchLoader(data, 64, torch.CPU, shuffle: true)));
    }
}
