using DeepVision.Data;
using DeepVision.Devices;
using Xunit.Abstractions;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Devices;

/// <summary>Runs alone: one test compares libtorch's global random generator before and after the check.</summary>
[Collection(RunsAloneCollection.Name)]
public class BFloat16ConvolutionsTests(ITestOutputHelper output)
{
    [Fact]
    public void The_check_agrees_with_lenets_own_convolutions_on_real_digits()
    {
        // LeNet's two convolutions (notebook 05) on 64 real digits, in float32 and in bfloat16, measured here with
        // modules, independently of the check's fixed patterns: its first layer's output and the gradient that reaches
        // its 6-channel input. bfloat16 keeps 8 significant bits, so right kernels stay under 1% of the largest value.
        using var mnist = Datasets.MNIST(train: false, root: Path.Combine(RepoPaths.Root, "datasets"));
        using var digits = mnist.Take(64);
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var first = Conv2d(1, 6, 5, padding: 2);
        using var second = Conv2d(6, 16, 5);
        var images = digits.Images.to_type(ScalarType.Float32).div(255f);
        (Tensor Output, Tensor InputGradient) Run(ScalarType type)
        {
            foreach (var module in new Module[] { first, second }) module.to(type);
            var hidden = functional.relu(first.call(images.to(type))).detach().requires_grad_(true);
            second.call(hidden).sum().backward();
            foreach (var module in new Module[] { first, second }) module.to(ScalarType.Float32);
            return (hidden.detach().to(ScalarType.Float32), hidden.grad!.to(ScalarType.Float32));
        }
        var exact = Run(ScalarType.Float32);
        var reduced = Run(ScalarType.BFloat16);
        static double Relative(Tensor a, Tensor b) => (a - b).abs().max().item<float>() / a.abs().max().item<float>();
        var outputError = Relative(exact.Output, reduced.Output);
        var gradientError = Relative(exact.InputGradient, reduced.InputGradient);
        var fault = BFloat16Convolutions.Fault;
        output.WriteLine($"LeNet in bfloat16 against float32: first layer's output off by {outputError:P2}, the 6-channel input's gradient by {gradientError:P2}; the check says: {fault ?? "right"}");

        if (OneDnnConvolutions.SwitchedOff)
        {
            // oneDNN's float32 convolutions were wrong here and it is off (OneDnnConvolutionsTests): its bfloat16 kernels
            // are the fast ones, so bfloat16 is not chosen, whatever libtorch's own bfloat16 kernels compute.
            Assert.Equal("bfloat16 is fast only with libtorch's oneDNN kernels, which are switched off in this process (CPU convolutions line)", fault);
            return;
        }
        if (OneDnnConvolutions.LimitedToSse41)
        {
            // A CPU that hides its caches: oneDNN computes with its SSE4.1 kernels, which have no bfloat16 instructions.
            Assert.Equal("bfloat16 is fast only with libtorch's oneDNN AVX-512 kernels, and oneDNN is limited to its SSE4.1 kernels in this process (CPU convolutions line)", fault);
            return;
        }
        Assert.Equal(Math.Max(outputError, gradientError) > 0.05, fault is not null);
        if (fault is not null) Assert.StartsWith("bfloat16 convolutions compute wrong results on this CPU", fault);
        // Wherever the kernels are right, they are right to bfloat16's precision, not just under the check's bound.
        if (fault is null) Assert.True(Math.Max(outputError, gradientError) < 0.01, $"{outputError:P2}, {gradientError:P2}");
    }

    [Fact]
    public void The_measure_is_bfloat16s_precision_where_every_cpu_computes_right()
    {
        // 16 channels in and out: right on the faulty machine too, so both of the check's paths (the output and the
        // input's gradient) run and are measured on every machine, also inside no_grad.
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = ConvolutionComparison.Pattern([4, 16, 12, 12], 0.41, ScalarType.Float32);
        var weight = ConvolutionComparison.Pattern([16, 16, 3, 3], 1.13, ScalarType.Float32);
        // libtorch's own bfloat16 kernels, where oneDNN is switched off or limited to SSE4.1 (OneDnnConvolutionsTests),
        // round more: up to 8% of the largest value measured on the faulty machine (on other shapes), against 0.3 to 0.5%
        // for oneDNN's AVX-512 ones; 10% is a loose bound there, which a wrong kernel (off by tens of percent) still exceeds.
        var bound = OneDnnConvolutions.SwitchedOff || OneDnnConvolutions.LimitedToSse41 ? 0.1 : 0.02;
        using (torch.enable_grad())
        {
            Assert.InRange(ConvolutionComparison.LargestRelativeError(input, weight, 1, inputGradient: false, ScalarType.Float32, ScalarType.BFloat16), 1e-4, bound);
            Assert.InRange(ConvolutionComparison.LargestRelativeError(input, weight, 1, inputGradient: true, ScalarType.Float32, ScalarType.BFloat16), 1e-4, bound);
        }
        // A result that is not a number somewhere measures NaN, which both checks read as over their bound.
        using (torch.enable_grad())
        {
            using var poisoned = weight.clone();
            poisoned[0, 0, 1, 1] = torch.tensor(float.NaN);
            Assert.True(double.IsNaN(ConvolutionComparison.LargestRelativeError(input, poisoned, 1, inputGradient: false, ScalarType.Float32, ScalarType.BFloat16)));
        }
        Assert.False(input.requires_grad, "the check marked the caller's tensor as needing a gradient");
        Assert.Null(input.grad);
        // The whole check runs inside no_grad too (it turns gradients on for itself).
        Assert.Equal(BFloat16Convolutions.Fault, BFloat16Convolutions.Probe());
    }

    [Fact]
    public void Checking_does_not_move_the_random_generator_and_gives_the_same_answer()
    {
        torch.manual_seed(7);
        using var before = torch.rand(5);
        torch.manual_seed(7);
        var first = BFloat16Convolutions.Probe();
        using var after = torch.rand(5);
        Assert.True(before.eq(after).all().item<bool>(), "the check drew from libtorch's random generator");
        Assert.Equal(first, BFloat16Convolutions.Probe());
    }
}
