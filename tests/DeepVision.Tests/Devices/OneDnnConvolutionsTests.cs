using DeepVision.Data;
using DeepVision.Devices;
using Xunit.Abstractions;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Devices;

/// <summary>Runs alone: one test switches oneDNN off and on again for the whole process.</summary>
[Collection(RunsAloneCollection.Name)]
public class OneDnnConvolutionsTests(ITestOutputHelper output)
{
    [Fact]
    public void After_the_check_float32_convolutions_agree_with_float64_on_real_digits()
    {
        // Measured with modules, random weights and real digits, independently of the check's fixed patterns: the shapes
        // that were wrong on the faulty machine (1 to 8 channels, the tests' small network; LeNet's 6 to 16; 16 to 24;
        // 24 to 48 of stride 2), forward and both gradients, float32 against float64. Before the check switched oneDNN
        // off there, the first had NaN input gradients in some runs and the last an output off by 84% or NaN.
        OneDnnConvolutions.EnsureChecked();
        output.WriteLine($"the check says: {OneDnnConvolutions.Fault ?? "oneDNN's convolutions are right on this CPU"}");
        Assert.True(OneDnnConvolutions.Right, OneDnnConvolutions.Fault);
        using var mnist = Datasets.MNIST(train: false, root: Path.Combine(RepoPaths.Root, "datasets"));
        using var digits = mnist.Take(16);
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var images = digits.Images.to_type(ScalarType.Float64).div(255.0);
        foreach (var (inputs, outputs, kernel, stride) in new[] { (1, 8, 5, 1), (6, 16, 5, 1), (16, 24, 3, 1), (24, 48, 3, 2) })
        {
            using var conv = Conv2d(inputs, outputs, kernel, stride: stride, padding: kernel / 2, dtype: ScalarType.Float64);
            // Real digits, spread over the input channels by a fixed random mixing.
            var input = functional.conv2d(images, torch.randn(inputs, 1, 1, 1, dtype: ScalarType.Float64));
            var weighting = torch.randn(conv.call(input).shape, dtype: ScalarType.Float64);
            (Tensor Output, Tensor InputGradient, Tensor WeightGradient) Run(ScalarType type)
            {
                conv.to(type);
                conv.zero_grad();
                var x = input.to(type).detach().requires_grad_(true);
                var y = conv.call(x);
                (y * weighting.to(type)).sum().backward();
                var result = (y.detach().to(ScalarType.Float64), x.grad!.to(ScalarType.Float64), conv.weight!.grad!.to(ScalarType.Float64));
                conv.to(ScalarType.Float64);
                return result;
            }
            var exact = Run(ScalarType.Float64);
            var single = Run(ScalarType.Float32);
            static double Relative(Tensor a, Tensor b) => (a - b).abs().max().item<double>() / a.abs().max().item<double>();
            var errors = new[] { Relative(exact.Output, single.Output), Relative(exact.InputGradient, single.InputGradient), Relative(exact.WeightGradient, single.WeightGradient) };
            output.WriteLine($"{inputs} to {outputs}, {kernel}×{kernel}, stride {stride}: float32 off by {string.Join(", ", errors.Select(e => e.ToString("E1")))} (output, input gradient, weight gradient)");
            Assert.All(errors, e => Assert.True(e < 1e-4, $"{inputs} to {outputs} channels, {kernel}×{kernel}, stride {stride}: float32 off by {e:E1}"));
        }
    }

    [Fact]
    public void The_switch_changes_the_kernels_and_the_check_left_it_as_its_answer_says()
    {
        OneDnnConvolutions.EnsureChecked();
        var before = OneDnnConvolutions.Enabled;
        Assert.NotNull(before);   // TorchSharp 0.107's libtorch exports the switch: a missing one is a changed libtorch
        // oneDNN is off exactly where the check found its convolutions wrong (DEEPVISION_ONEDNN is not set in CI).
        Assert.Null(Environment.GetEnvironmentVariable(OneDnnConvolutions.Setting));
        Assert.Equal(OneDnnConvolutions.Fault is not null, OneDnnConvolutions.SwitchedOff);
        Assert.Equal(!OneDnnConvolutions.SwitchedOff, before);
        if (OneDnnConvolutions.Fault is { } fault)
        {
            Assert.StartsWith("libtorch's oneDNN kernels computed wrong float32 convolutions on this CPU (a ", fault);
            Assert.EndsWith("so oneDNN is switched off in this process: libtorch's own kernels compute them right, more slowly", fault);
        }
        // The switch reaches libtorch: the same float32 convolution computed with oneDNN and with libtorch's own kernels
        // adds in another order (and, on the faulty machine, gives other numbers altogether), so the bits differ.
        Tensor Convolve()
        {
            using var scope = torch.NewDisposeScope();
            var x = ConvolutionComparison.Pattern([4, 16, 12, 12], 0.37, ScalarType.Float32);
            var w = ConvolutionComparison.Pattern([24, 16, 3, 3], 1.91, ScalarType.Float32);
            return functional.conv2d(x, w, padding: [1, 1]).MoveToOuterDisposeScope();
        }
        try
        {
            Assert.True(LibTorchBackends.TrySetOneDnn(true, out _));
            Assert.True(OneDnnConvolutions.Enabled);
            using var withOneDnn = Convolve();
            Assert.True(LibTorchBackends.TrySetOneDnn(false, out _));
            Assert.False(OneDnnConvolutions.Enabled);
            using var without = Convolve();
            Assert.False(withOneDnn.eq(without).all().item<bool>(), "oneDNN on and off computed the same bits: the switch did not reach libtorch's choice of kernel");
        }
        finally { LibTorchBackends.TrySetOneDnn(before!.Value, out _); }
        Assert.Equal(before, OneDnnConvolutions.Enabled);
    }

    [Fact]
    public void The_decision_follows_the_check_the_switch_and_the_setting()
    {
        // Every branch, with a stand-in check and switch, so that a healthy machine tests the repair too.
        var switchedOff = 0;
        string? Off() { switchedOff++; return null; }
        string? Cannot() => "no switch in this test";
        var checks = 0;
        Func<string?> Answers(params string?[] answers) => () => answers[checks++];

        var right = OneDnnConvolutions.Decide(null, Answers([null]), Off);
        Assert.Equal(new OneDnnConvolutions.Outcome(null, false, true), right);
        Assert.Equal(0, switchedOff);

        checks = 0;
        var repaired = OneDnnConvolutions.Decide("check", Answers("a test's shape: off by 90%", null), Off);
        Assert.Equal(1, switchedOff);
        Assert.Equal(2, checks);   // checked again after the switch
        Assert.True(repaired.SwitchedOff && repaired.Right);
        Assert.Equal("libtorch's oneDNN kernels computed wrong float32 convolutions on this CPU (a test's shape: off by 90%), so oneDNN is switched off in this process: libtorch's own kernels compute them right, more slowly", repaired.Fault);

        checks = 0;
        var stillWrong = OneDnnConvolutions.Decide(null, Answers("off by 90%", "off by 50%"), Off);
        Assert.True(stillWrong.SwitchedOff);
        Assert.False(stillWrong.Right);
        Assert.EndsWith("with oneDNN switched off they are still wrong (off by 50%): convolutions on this CPU cannot be trusted", stillWrong.Fault);

        checks = 0;
        var unswitchable = OneDnnConvolutions.Decide(null, Answers("off by 90%"), Cannot);
        Assert.False(unswitchable.SwitchedOff || unswitchable.Right);
        Assert.EndsWith("and they cannot be switched off here (no switch in this test): convolutions on this CPU cannot be trusted", unswitchable.Fault);

        // A check that cannot run is not a wrong one: oneDNN stays on, and the sentence says so.
        switchedOff = 0;
        var unknown = OneDnnConvolutions.Decide(null, () => throw new InvalidOperationException("a test's failure"), Off);
        Assert.Equal(0, switchedOff);
        Assert.False(unknown.SwitchedOff);
        Assert.Equal("libtorch's oneDNN convolutions could not be checked on this CPU (InvalidOperationException: a test's failure); oneDNN was left on", unknown.Fault);

        // The setting: on and off skip the check; anything else is named with the values it may take.
        string? NeverAsked() => throw new InvalidOperationException("the setting should have skipped the check");
        Assert.Equal(new OneDnnConvolutions.Outcome(null, false, true), OneDnnConvolutions.Decide("on", NeverAsked, Off));
        var forcedOff = OneDnnConvolutions.Decide(" OFF ", NeverAsked, Off);
        Assert.True(forcedOff.SwitchedOff && forcedOff.Right);
        Assert.Equal("libtorch's oneDNN is switched off (DEEPVISION_ONEDNN=off): libtorch's own kernels compute convolutions, more slowly", forcedOff.Fault);
        Assert.False(OneDnnConvolutions.Decide("off", NeverAsked, Cannot).SwitchedOff);
        var typo = OneDnnConvolutions.Decide("of", NeverAsked, Off);
        Assert.False(typo.SwitchedOff);
        Assert.Equal("DEEPVISION_ONEDNN is \"of\": it must be \"check\" (the default), \"on\" or \"off\"; oneDNN was left on, unchecked", typo.Fault);
    }

    [Fact]
    public void The_probe_finds_nothing_wrong_now_and_does_not_move_the_random_generator()
    {
        OneDnnConvolutions.EnsureChecked();
        torch.manual_seed(7);
        using var before = torch.rand(5);
        torch.manual_seed(7);
        Assert.Null(OneDnnConvolutions.Probe());
        using var after = torch.rand(5);
        Assert.True(before.eq(after).all().item<bool>(), "the check drew from libtorch's random generator");
        // The measure itself: float32 against float64 is off by about float32's precision on right kernels.
        Assert.InRange(OneDnnConvolutions.LargestRelativeError(16, 24, 1, inputGradient: true), 1e-9, 1e-5);
        Assert.InRange(OneDnnConvolutions.LargestRelativeError(24, 48, 2, inputGradient: false), 1e-9, 1e-5);
        // Inside no_grad too (the check turns gradients on for itself).
        using (torch.no_grad()) Assert.Null(OneDnnConvolutions.Probe());
    }

    [Fact]
    public void The_device_line_reports_what_the_check_found()
    {
        var info = DeviceSetup.Setup(quiet: true);
        Assert.Equal(OneDnnConvolutions.Fault, info.OneDnnFault);
        Assert.Equal(OneDnnConvolutions.SwitchedOff, info.OneDnnSwitchedOff);
        if (info.OneDnnFault is null) Assert.DoesNotContain("\nCPU convolutions:", info.ToString());
        else Assert.Contains($"\nCPU convolutions: {info.OneDnnFault}", info.ToString());
        var faulty = new DeviceInfo(torch.CPU, "0.107.0", "2.10.0", 0, 2, 42, null) { OneDnnFault = "a test's words" };
        Assert.EndsWith("\nCPU convolutions: a test's words", faulty.ToString());
    }
}
