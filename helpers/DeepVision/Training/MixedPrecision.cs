using System.Reflection;
using Module = TorchSharp.torch.nn.Module;
using TorchSharp.Modules;

namespace DeepVision.Training;

/// <summary>
/// Mixed-precision training for one epoch (apex's "O2" recipe, written out because TorchSharp 0.107 has no autocast):
/// the model's weights are swapped for bfloat16 working copies, each step copies their gradients into the float32
/// masters the optimizer holds and the updated masters back into the copies, and disposing puts the masters back, so
/// that evaluation, checkpoints and the caller's optimizer see the float32 model they gave.
/// </summary>
internal sealed class MixedPrecision : IDisposable
{
    private const BindingFlags Fields = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    // Module.ConditionallyRegisterParameter replaces a registered parameter; it is protected, and the only way to swap a
    // parameter without disposing the old one (the public setters dispose it, and the optimizer holds it).
    private static readonly MethodInfo Register = typeof(Module).GetMethod("ConditionallyRegisterParameter", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(string), typeof(Tensor)])
        ?? throw new MissingMethodException("TorchSharp's Module.ConditionallyRegisterParameter is gone: mixed precision needs this TorchSharp version's Module.");

    private sealed record Pair(Parameter Master, Parameter Working, Tensor? Gradient)
    {
        // Where the model holds the parameter: the fields forward() reads (Conv2d keeps its weight in
        // Convolution._weight, a base-class field) and the registry that parameters(), state_dict() and optimizers read.
        public List<(Module Module, FieldInfo Field)> Fields { get; } = [];
        public List<(Module Module, string Name)> Registrations { get; } = [];
    }

    private static int warned;

    // Asked for explicitly where DeviceSetup would not choose it: said once per process, not refused (the caller may be
    // measuring exactly this).
    private static void WarnWhereTheCpuShouldNotUseIt(Module model)
    {
        if (Volatile.Read(ref warned) == 1 || model.parameters().FirstOrDefault() is not { } first || first.device_type != DeviceType.CPU) return;
        if (Warning(Devices.BFloat16Convolutions.Fault) is { } warning && Interlocked.Exchange(ref warned, 1) == 0) Console.Error.WriteLine(warning);
    }

    /// <summary>The warning for a CPU whose bfloat16 convolutions are wrong or not fast (<paramref name="fault"/>); null for a right one.</summary>
    internal static string? Warning(string? fault) =>
        fault is null ? null : $"warning: Precision.MixedBFloat16 asked for, but {fault}; train in Precision.Float32 on this CPU.";

    private readonly List<Pair> pairs = [];
    private readonly List<Action> removeHooks = [];

    /// <summary>Swaps bfloat16 working copies into <paramref name="model"/>; <paramref name="forTraining"/> also keeps a
    /// float32 gradient buffer per trainable parameter for <see cref="MastersIn"/>.</summary>
    public MixedPrecision(Module model, bool forTraining = true)
    {
        WarnWhereTheCpuShouldNotUseIt(model);
        var modules = model.modules().Prepend(model).ToList();
        var byHandle = new Dictionary<IntPtr, Pair>();
        foreach (var module in modules)
        {
            // Normalization layers stay float32: libtorch's CPU and CUDA kernels take bfloat16 activations with float32
            // weights and statistics, and the running statistics would lose precision in bfloat16.
            if (module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d) continue;
            // Local response normalization (AlexNet's) has no bfloat16 kernel on the CPU (its avg_pool3d): it computes
            // in float32 and hands bfloat16 on.
            if (module is LocalResponseNorm localResponse)
            {
                var before = localResponse.register_forward_pre_hook((_, input) => input.dtype == ScalarType.BFloat16 ? input.to(ScalarType.Float32) : input);
                var after = localResponse.register_forward_hook((_, _, output) => output.dtype == ScalarType.Float32 ? output.to(ScalarType.BFloat16) : output);
                removeHooks.Add(() => { before.remove(); after.remove(); });
                continue;
            }
            foreach (var (_, master) in module.named_parameters(recurse: false))
            {
                if (master.dtype != ScalarType.Float32 || byHandle.ContainsKey(master.Handle)) continue;
                // The working copy and the master's gradient buffer live for the epoch, outside every dispose scope;
                // the scope takes the intermediate tensors.
                Parameter working;
                Tensor? gradient;
                using (torch.NewDisposeScope())
                using (torch.no_grad())
                {
                    working = new Parameter(master.detach().to(ScalarType.BFloat16), master.requires_grad);
                    working.DetachFromDisposeScope();
                    gradient = forTraining && master.requires_grad ? torch.zeros_like(master).DetachFromDisposeScope() : null;
                }
                var pair = new Pair(master, working, gradient);
                byHandle[master.Handle] = pair;
                pairs.Add(pair);
            }
        }
        foreach (var module in modules)
        {
            for (var type = module.GetType(); type is not null && type != typeof(object); type = type.BaseType)
                foreach (var field in type.GetFields(Fields))
                    if (field.GetValue(module) is Parameter p && byHandle.TryGetValue(p.Handle, out var pair))
                        pair.Fields.Add((module, field));
            foreach (var (name, p) in module.named_parameters(recurse: false))
                if (byHandle.TryGetValue(p.Handle, out var pair))
                    pair.Registrations.Add((module, name));
        }
        Swap(toWorking: true);
    }

    /// <summary>The batch in bfloat16.</summary>
    public static Tensor Input(Tensor x) => x.is_floating_point() ? x.to(ScalarType.BFloat16) : x;

    /// <summary>
    /// Before the optimizer's step, after backward: each working copy's gradient into its master, and the masters into
    /// the model, so that the optimizer (which reads model.parameters() anew at every step) updates them.
    /// </summary>
    public void MastersIn()
    {
        foreach (var (master, working, gradient) in pairs)
        {
            if (gradient is null) continue;
            using var g = working.grad;
            if (g is null) continue;
            gradient.copy_(g);
            master.grad = gradient;
            working.grad = null;
        }
        Swap(toWorking: false);
    }

    /// <summary>After the optimizer's step: the bfloat16 working copies back into the model, updated from the masters.</summary>
    public void WorkingIn()
    {
        Swap(toWorking: true);
        using var noGrad = torch.no_grad();
        foreach (var (master, working, gradient) in pairs)
            if (gradient is not null) working.copy_(master);
    }

    /// <summary>Puts the float32 masters back into the model.</summary>
    public void Dispose()
    {
        Swap(toWorking: false);
        removeHooks.ForEach(remove => remove());
        removeHooks.Clear();
        foreach (var (_, working, gradient) in pairs)
        {
            working.Dispose();
            gradient?.Dispose();
        }
        pairs.Clear();
    }

    private void Swap(bool toWorking)
    {
        foreach (var pair in pairs)
        {
            var p = toWorking ? pair.Working : pair.Master;
            foreach (var (module, field) in pair.Fields) field.SetValue(module, p);
            foreach (var (module, name) in pair.Registrations) Register.Invoke(module, [name, p]);
        }
    }
}
