using DeepVision.Data;
using DeepVision.Devices;
using DeepVision.Interpretation;
using DeepVision.Models;
using DeepVision.Training;
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
    public void oneDNN_is_limited_to_SSE41_exactly_where_the_CPU_hides_its_caches()
    {
        OneDnnConvolutions.EnsureChecked();
        // CI sets neither variable, so the check decides alone (a user's ONEDNN_MAX_CPU_ISA would be left as it is).
        Assert.Null(Environment.GetEnvironmentVariable(OneDnnConvolutions.Setting));
        Assert.Null(Environment.GetEnvironmentVariable(OneDnnInstructionLimit.Variable));
        Assert.Null(Environment.GetEnvironmentVariable(OneDnnInstructionLimit.OlderVariable));
        output.WriteLine($"CPU caches hidden: {CpuCacheDescription.Hidden}; the check says: {OneDnnConvolutions.Fault ?? "oneDNN's convolutions are right on this CPU"}");
        Assert.Equal(CpuCacheDescription.Hidden, OneDnnConvolutions.LimitedToSse41);
        // Set where oneDNN reads it (the C library's environment, not .NET's copy), and only there.
        Assert.Equal(CpuCacheDescription.Hidden ? OneDnnInstructionLimit.Sse41 : null, OneDnnInstructionLimit.Current());
        if (!OneDnnConvolutions.LimitedToSse41) return;
        // Limited, oneDNN stays on and computes right: on the faulty machine the same check finds its unlimited kernels
        // wrong in every run, so this also shows that the limit reached oneDNN before its first computation.
        Assert.True(OneDnnConvolutions.Right);
        Assert.False(OneDnnConvolutions.SwitchedOff);
        Assert.True(OneDnnConvolutions.Enabled);
        Assert.EndsWith("so oneDNN is limited to its SSE4.1 kernels in this process (ONEDNN_MAX_CPU_ISA=SSE41), and the check finds its convolutions right", OneDnnConvolutions.Fault);
        Assert.True(OneDnnInstructionLimit.WithoutFastBFloat16);
    }

    [Fact]
    public void The_limit_is_written_where_native_code_reads_the_environment()
    {
        // On every machine, with a variable of the test's own: what the limit writes, native code's getenv reads; on
        // Linux and macOS .NET's own copy of the environment does not see it, which is why the limit cannot use it.
        var name = $"DEEPVISION_TEST_{Guid.NewGuid():N}";
        Assert.Null(OneDnnInstructionLimit.Read(name));
        Assert.Null(OneDnnInstructionLimit.Write(name, "SSE41"));
        Assert.Equal("SSE41", OneDnnInstructionLimit.Read(name));
        if (!OperatingSystem.IsWindows()) Assert.Null(Environment.GetEnvironmentVariable(name));
    }

    [Fact]
    public void After_the_check_the_courses_convolutions_agree_with_float64_in_both_layouts()
    {
        // The shapes of the course's networks, small: LeNet, the CIFAR networks and the speed run's, ResNet's stem,
        // stages and 1×1 shortcuts, MobileNetV2's depthwise and 1×1 convolutions, AlexNet's 11×11 stride-4 stem, a
        // ViT's patch embedding, and the shapes that were wrong on the faulty machine (in the plain layout or in
        // channels-last: 12 or 13 of these 56 with oneDNN unlimited, 1 with its AVX kernels). Output, input gradient and weight
        // gradient, float32 against float64 on fixed patterns.
        OneDnnConvolutions.EnsureChecked();
        var shapes = new (int In, int Out, int Kernel, int Stride, int Padding, int Groups, int Size, int Batch)[]
        {
            (1, 6, 5, 1, 2, 1, 28, 16), (6, 16, 5, 1, 0, 1, 14, 16), (3, 4, 3, 1, 1, 1, 16, 8), (1, 8, 5, 1, 2, 1, 28, 8),
            (3, 24, 2, 1, 0, 1, 32, 32), (24, 16, 3, 1, 1, 1, 31, 32), (16, 64, 3, 1, 1, 1, 15, 32),
            (3, 16, 3, 1, 1, 1, 32, 16), (16, 32, 3, 2, 1, 1, 32, 16), (32, 64, 3, 2, 1, 1, 16, 16),
            (3, 64, 7, 2, 3, 1, 64, 4), (64, 128, 3, 2, 1, 1, 16, 8), (64, 128, 1, 2, 0, 1, 16, 8), (256, 512, 3, 2, 1, 1, 4, 8),
            (64, 256, 1, 1, 0, 1, 16, 8), (256, 64, 1, 1, 0, 1, 16, 8),
            (32, 32, 3, 1, 1, 32, 32, 8), (96, 96, 3, 2, 1, 96, 32, 8), (96, 24, 1, 1, 0, 1, 16, 8), (320, 1280, 1, 1, 0, 1, 2, 8),
            (3, 64, 11, 4, 2, 1, 127, 4), (64, 192, 5, 1, 2, 1, 15, 8), (3, 192, 4, 4, 0, 1, 32, 8),
            (24, 48, 3, 2, 1, 1, 12, 4), (48, 96, 3, 2, 1, 1, 12, 4), (16, 24, 3, 1, 1, 1, 12, 4), (3, 20, 3, 1, 1, 1, 16, 8), (20, 40, 3, 2, 1, 1, 16, 8),
        };
        var wrong = new List<string>();
        foreach (var channelsLast in new[] { false, true })
            foreach (var c in shapes)
            {
                using var scope = torch.NewDisposeScope();
                var input = ConvolutionComparison.Pattern([c.Batch, c.In, c.Size, c.Size], 0.37, ScalarType.Float64);
                var weight = ConvolutionComparison.Pattern([c.Out, c.In / c.Groups, c.Kernel, c.Kernel], 1.91, ScalarType.Float64) / Math.Sqrt(c.In / c.Groups * c.Kernel * c.Kernel);
                var outputSize = (c.Size + 2 * c.Padding - c.Kernel) / c.Stride + 1;
                var weighting = ConvolutionComparison.Pattern([c.Batch, c.Out, outputSize, outputSize], 0.71, ScalarType.Float64);
                Tensor Layout(Tensor t) => channelsLast ? MemoryLayout.ChannelsLast(t) : t;
                Tensor[] Run(ScalarType type)
                {
                    using var gradients = torch.enable_grad();
                    var x = Layout(input.to(type)).detach().requires_grad_(true);
                    var w = Layout(weight.to(type)).detach().requires_grad_(true);
                    var y = functional.conv2d(x, w, strides: [c.Stride, c.Stride], padding: [c.Padding, c.Padding], groups: c.Groups);
                    (y * weighting.to(type)).sum().backward();
                    return [y.detach().to(ScalarType.Float64), x.grad!.to(ScalarType.Float64), w.grad!.to(ScalarType.Float64)];
                }
                var exact = Run(ScalarType.Float64);
                var single = Run(ScalarType.Float32);
                var errors = exact.Zip(single, (a, b) => b.isfinite().all().item<bool>() ? (a - b).abs().max().item<double>() / a.abs().max().item<double>() : double.NaN).ToArray();
                if (!errors.All(e => e <= 1e-4))
                    wrong.Add($"{c.In} to {c.Out}, {c.Kernel}×{c.Kernel}, stride {c.Stride}, groups {c.Groups}, {c.Size} px{(channelsLast ? ", channels-last" : "")}: off by {string.Join(", ", errors.Select(e => e.ToString("E1")))}");
            }
        output.WriteLine($"the check says: {OneDnnConvolutions.Fault ?? "oneDNN's convolutions are right on this CPU"}");
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {2 * shapes.Length} convolutions wrong in float32 (output, input gradient, weight gradient):\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void The_switch_changes_the_kernels_and_the_check_left_it_as_its_answer_says()
    {
        OneDnnConvolutions.EnsureChecked();
        var before = OneDnnConvolutions.Enabled;
        Assert.NotNull(before);   // TorchSharp 0.107's libtorch exports the switch: a missing one is a changed libtorch
        // oneDNN is off exactly where the check found its convolutions wrong, and limited to SSE4.1 instead where that
        // made them right (DEEPVISION_ONEDNN is not set in CI).
        Assert.Null(Environment.GetEnvironmentVariable(OneDnnConvolutions.Setting));
        Assert.Equal(OneDnnConvolutions.Fault is not null && !OneDnnConvolutions.LimitedToSse41, OneDnnConvolutions.SwitchedOff);
        Assert.Equal(!OneDnnConvolutions.SwitchedOff, before);
        if (OneDnnConvolutions.SwitchedOff && OneDnnConvolutions.Fault is { } fault)
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
        // Where the CPU describes its caches, oneDNN is never limited (counted: Decide would swallow a throwing stand-in).
        var limits = 0;
        string? Limit() { limits++; return null; }
        string? NotAsked() { limits++; return null; }

        var right = OneDnnConvolutions.Decide(null, false, NotAsked, Answers([null]), Off);
        Assert.Equal(new OneDnnConvolutions.Outcome(null, false, true), right);
        Assert.Equal(0, switchedOff);

        checks = 0;
        var repaired = OneDnnConvolutions.Decide("check", false, NotAsked, Answers("a test's shape: off by 90%", null), Off);
        Assert.Equal(1, switchedOff);
        Assert.Equal(2, checks);   // checked again after the switch
        Assert.True(repaired.SwitchedOff && repaired.Right);
        Assert.Equal("libtorch's oneDNN kernels computed wrong float32 convolutions on this CPU (a test's shape: off by 90%), so oneDNN is switched off in this process: libtorch's own kernels compute them right, more slowly", repaired.Fault);

        checks = 0;
        var stillWrong = OneDnnConvolutions.Decide(null, false, NotAsked, Answers("off by 90%", "off by 50%"), Off);
        Assert.True(stillWrong.SwitchedOff);
        Assert.False(stillWrong.Right);
        Assert.EndsWith("with oneDNN switched off they are still wrong (off by 50%): convolutions on this CPU cannot be trusted", stillWrong.Fault);

        checks = 0;
        var unswitchable = OneDnnConvolutions.Decide(null, false, NotAsked, Answers("off by 90%"), Cannot);
        Assert.False(unswitchable.SwitchedOff || unswitchable.Right);
        Assert.EndsWith("and they cannot be switched off here (no switch in this test): convolutions on this CPU cannot be trusted", unswitchable.Fault);
        checks = 0;
        var switchThrows = OneDnnConvolutions.Decide(null, false, NotAsked, Answers("off by 90%"), () => throw new EntryPointNotFoundException("a test's"));
        Assert.False(switchThrows.SwitchedOff || switchThrows.Right);
        Assert.EndsWith("and they cannot be switched off here (EntryPointNotFoundException: a test's): convolutions on this CPU cannot be trusted", switchThrows.Fault);

        // A check that cannot run is not a wrong one: oneDNN stays on, and the sentence says so.
        switchedOff = 0;
        var unknown = OneDnnConvolutions.Decide(null, false, NotAsked, () => throw new InvalidOperationException("a test's failure"), Off);
        Assert.Equal(0, switchedOff);
        Assert.False(unknown.SwitchedOff);
        Assert.Equal("libtorch's oneDNN convolutions could not be checked on this CPU (InvalidOperationException: a test's failure); oneDNN was left on", unknown.Fault);
        Assert.Equal(0, limits);

        // Switched off, but the second check fails to run: off, as the sentence says.
        checks = 0;
        var offUnchecked = OneDnnConvolutions.Decide(null, false, NotAsked, () => checks++ == 0 ? "off by 90%" : throw new InvalidOperationException("a test's failure"), Off);
        Assert.True(offUnchecked.SwitchedOff && offUnchecked.Right);
        Assert.EndsWith("so oneDNN is switched off in this process; the check could not run again (InvalidOperationException: a test's failure)", offUnchecked.Fault);
        Assert.Equal(0, limits);

        // A CPU that hides its caches: oneDNN is limited to SSE4.1 before the check, and stays on where that is right.
        checks = 0; switchedOff = 0;
        var limited = OneDnnConvolutions.Decide(null, true, Limit, Answers([null]), Off);
        Assert.Equal((1, 1, 0), (limits, checks, switchedOff));
        Assert.True(limited.LimitedToSse41 && limited.Right && !limited.SwitchedOff);
        Assert.Equal("this CPU hides its cache sizes (a virtual machine's CPUID), and on the one such CPU seen so far oneDNN's AVX, AVX2 and AVX-512 kernels computed wrong convolutions, so oneDNN is limited to its SSE4.1 kernels in this process (ONEDNN_MAX_CPU_ISA=SSE41), and the check finds its convolutions right", limited.Fault);
        // Still wrong (limited too late, or SSE4.1 wrong too): switched off, as anywhere.
        checks = 0;
        var limitedWrong = OneDnnConvolutions.Decide(null, true, Limit, Answers("off by 54%", null), Off);
        Assert.True(limitedWrong.SwitchedOff && limitedWrong.Right && !limitedWrong.LimitedToSse41);
        Assert.Equal("libtorch's oneDNN kernels computed wrong float32 convolutions on this CPU (off by 54%), also limited to SSE4.1 (or limited too late: oneDNN had computed before in this process), so oneDNN is switched off in this process: libtorch's own kernels compute them right, more slowly", limitedWrong.Fault);
        // Not limited (the user set oneDNN's variable): checked as it is; right means nothing to say.
        checks = 0;
        Assert.Equal(new OneDnnConvolutions.Outcome(null, false, true), OneDnnConvolutions.Decide(null, true, () => "ONEDNN_MAX_CPU_ISA is set to \"AVX2\", and was left as it is", Answers([null]), Off));
        checks = 0;
        var userWrong = OneDnnConvolutions.Decide(null, true, () => "ONEDNN_MAX_CPU_ISA is set to \"AVX2\", and was left as it is", Answers("off by 54%", null), Off);
        Assert.Contains("which hides its cache sizes; oneDNN could not be limited to its SSE4.1 kernels (ONEDNN_MAX_CPU_ISA is set to \"AVX2\", and was left as it is), so oneDNN is switched off", userWrong.Fault);
        // Limited, and then wrong beyond repair, or not checkable: said so, never an exception.
        checks = 0;
        var limitedUnswitchable = OneDnnConvolutions.Decide(null, true, Limit, Answers("off by 54%"), Cannot);
        Assert.False(limitedUnswitchable.Right || limitedUnswitchable.SwitchedOff || limitedUnswitchable.LimitedToSse41);
        Assert.EndsWith("also limited to SSE4.1 (or limited too late: oneDNN had computed before in this process), and they cannot be switched off here (no switch in this test): convolutions on this CPU cannot be trusted", limitedUnswitchable.Fault);
        var limitedUnknown = OneDnnConvolutions.Decide(null, true, Limit, () => throw new InvalidOperationException("a test's failure"), Off);
        Assert.True(limitedUnknown.LimitedToSse41 && limitedUnknown.Right);
        Assert.EndsWith("oneDNN was left on, limited to its SSE4.1 kernels", limitedUnknown.Fault);
        // A limit that throws is a limit not set, never an exception out of the check; its reason is in the sentence.
        checks = 0;
        Assert.False(OneDnnConvolutions.Decide(null, true, () => throw new DllNotFoundException("a test's"), Answers([null]), Off).LimitedToSse41);
        checks = 0;
        Assert.Contains("could not be limited to its SSE4.1 kernels (DllNotFoundException: a test's)", OneDnnConvolutions.Decide(null, true, () => throw new DllNotFoundException("a test's"), Answers("off by 54%", null), Off).Fault);

        // The setting: on and off skip the check and the limit; anything else is named with the values it may take.
        limits = 0;
        string? NeverAsked() { limits++; return null; }
        Assert.Equal(new OneDnnConvolutions.Outcome(null, false, true), OneDnnConvolutions.Decide("on", true, NeverAsked, NeverAsked, Off));
        var forcedOff = OneDnnConvolutions.Decide(" OFF ", true, NeverAsked, NeverAsked, Off);
        Assert.True(forcedOff.SwitchedOff && forcedOff.Right);
        Assert.Equal("libtorch's oneDNN is switched off (DEEPVISION_ONEDNN=off): libtorch's own kernels compute convolutions, more slowly", forcedOff.Fault);
        Assert.False(OneDnnConvolutions.Decide("off", true, NeverAsked, NeverAsked, Cannot).SwitchedOff);
        Assert.Contains("cannot be switched off here (InvalidOperationException: a test's)", OneDnnConvolutions.Decide("off", true, NeverAsked, NeverAsked, () => throw new InvalidOperationException("a test's")).Fault);
        var typo = OneDnnConvolutions.Decide("of", true, NeverAsked, NeverAsked, Off);
        Assert.False(typo.SwitchedOff);
        Assert.Equal("DEEPVISION_ONEDNN is \"of\": it must be \"check\" (the default), \"on\" or \"off\"; oneDNN was left on, unchecked", typo.Fault);
        Assert.Equal(0, limits);
    }

    [Fact]
    public void Every_way_into_computing_with_a_model_asks_for_the_check_first()
    {
        // The check runs once per process (here before any test), so what is counted is each entry point asking: a
        // script that computes through any of them without DeviceSetup still gets right convolutions.
        using var cifar = Datasets.CIFAR10(train: false, root: Path.Combine(RepoPaths.Root, "datasets"));
        using var images = cifar.Take(16);
        var batches = new BatchLoader(images, 8, torch.CPU, dropLast: true);
        torch.manual_seed(0);
        var asked = new AskedBeforeComputing();
        using var conv = Conv2d(3, 4, 3, padding: 1);
        using var model = Sequential(("asked", asked), ("conv", conv), ("relu", ReLU()), ("pool", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(4, 10)));
        Module<Tensor, Tensor> Fresh() => Sequential(("asked", asked), ("conv", Conv2d(3, 4, 3, padding: 1)), ("pool", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(4, 10)));
        using var temp = new TempFolder();
        var entryPoints = new (string Name, Action Compute)[]
        {
            ("Trainer.Fit", () => Trainer.Fit(model, batches, null, optim.SGD(model.parameters(), 0.01), CrossEntropyLoss(), new(1) { ShowProgress = false })),
            ("Trainer.Evaluate", () => Trainer.Evaluate(model, batches)),
            ("Trainer.Predict", () => Trainer.Predict(model, batches)),
            ("TopLosses.Find", () => TopLosses.Find(model, batches, 4)),
            ("GradCam.Compute", () => GradCam.Compute(model, conv, images.Images[..2].to_type(ScalarType.Float32).div(255))),
            ("FeatureCache.Features", () => new FeatureCache(temp.Path).Features(model, images, x => x.to_type(ScalarType.Float32).div(255), "scaled", torch.CPU, log: TextWriter.Null)),
            ("ModelSummary.Of", () => ModelSummary.Of(model, [1, 3, 32, 32])),
            ("LearningRateFinder.Run", () => LearningRateFinder.Run(model, batches, optim.SGD(model.parameters(), 1e-4), CrossEntropyLoss(), steps: 4)),
            ("TrainingSpeed.ImagesPerSecond", () => TrainingSpeed.ImagesPerSecond(Fresh, batches, net => optim.SGD(net.parameters(), 0.01), CrossEntropyLoss(), ComputeOptions.Default, passes: 1)),
        };
        foreach (var (name, compute) in entryPoints)
        {
            asked.Start();
            compute();
            Assert.True(asked.AskedFirst, $"{name} computed without asking for the convolution check first");
        }
    }

    /// <summary>A layer that notes, at the first batch it sees after <see cref="Start"/>, whether the check was asked for
    /// since.</summary>
    private sealed class AskedBeforeComputing() : Module<Tensor, Tensor>("asked")
    {
        private int before;
        public bool? AskedFirst { get; private set; }

        public void Start() => (before, AskedFirst) = (OneDnnConvolutions.Requests, null);

        public override Tensor forward(Tensor input)
        {
            AskedFirst ??= OneDnnConvolutions.Requests > before;
            return input.alias();
        }
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
        Assert.Equal(OneDnnConvolutions.LimitedToSse41, info.OneDnnLimitedToSse41);
        if (info.OneDnnFault is null) Assert.DoesNotContain("\nCPU convolutions:", info.ToString());
        else Assert.Contains($"\nCPU convolutions: {info.OneDnnFault}", info.ToString());
        var faulty = new DeviceInfo(torch.CPU, "0.107.0", "2.10.0", 0, 2, 42, null) { OneDnnFault = "a test's words" };
        Assert.EndsWith("\nCPU convolutions: a test's words", faulty.ToString());
    }
}
