using System.Reflection;
using TorchSharp.Modules;

namespace DeepVision.Training;

/// <summary>A set of parameters that trains with its own learning rate (PyTorch's "parameter group").</summary>
public sealed record ParameterGroup(string Prefix, double LearningRate, IReadOnlyList<Parameter> Parameters)
{
    /// <summary>How many numbers the group trains.</summary>
    public long Count => Parameters.Sum(p => p.numel());
}

/// <summary>
/// Transfer learning by name: freeze the parts of a network that keep their pretrained weights, replace its head,
/// and give what still trains its own learning rates.
/// </summary>
public static class Transfer
{
    /// <summary>
    /// Stops training for every parameter whose name starts with one of <paramref name="prefixes"/> (e.g.
    /// <c>"features"</c>); with no prefix, the whole model. Returns how many numbers were frozen. A prefix that
    /// matches nothing is an error that lists the model's top-level names.
    /// </summary>
    public static long Freeze(nn.Module model, params string[] prefixes) => SetTrainable(model, false, prefixes);

    /// <summary>Makes the named parameters (all, with no prefix) train again, as fine-tuning does. Returns the count.</summary>
    public static long Unfreeze(nn.Module model, params string[] prefixes) => SetTrainable(model, true, prefixes);

    /// <summary>
    /// Replaces the child module <paramref name="name"/> of <paramref name="model"/> (the head: <c>"fc"</c> of a
    /// ResNet, <c>"classifier"</c> of AlexNet, VGG and MobileNetV2, <c>"heads"</c> of a ViT), as PyTorch's
    /// <c>model.fc = nn.Linear(512, 10)</c> does, and returns the model. The new head moves to the model's device and
    /// training mode and trains, whatever was frozen before; the old one is disposed.
    /// </summary>
    /// <remarks>
    /// TorchSharp modules, TorchVision's included, keep their children in read-only fields that
    /// <c>RegisterComponents()</c> registers under the field's name, and <c>forward</c> calls the field. So the field and
    /// the registration are both replaced (by reflection: TorchSharp has no public way to do it).
    /// </remarks>
    public static T ReplaceHead<T>(T model, string name, nn.Module<Tensor, Tensor> head) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(head);
        var children = model.named_children().Select(c => c.name).ToList();
        FieldInfo? field = null;
        for (var type = model.GetType(); type is not null && field is null; type = type.BaseType)
            field = type.GetField(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
        if (!children.Contains(name) || field is null || !field.FieldType.IsAssignableFrom(head.GetType()))
            throw new ArgumentException(
                $"{model.GetType().Name} has no replaceable child module named \"{name}\"; its children are {string.Join(", ", children)}.", nameof(name));
        var old = (nn.Module?)field.GetValue(model);
        if (ReferenceEquals(old, head)) return model;
        var device = model.parameters().FirstOrDefault()?.device;
        if (device is not null) head.to(device);
        head.train(model.training);
        field.SetValue(model, head);
        Registered(model)[name] = head;
        foreach (var parameter in head.parameters()) parameter.requires_grad = true;
        old?.Dispose();
        return model;
    }

    private static readonly FieldInfo SubmodulesField = typeof(nn.Module).GetField("_internal_submodules", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("This TorchSharp version keeps a module's children elsewhere: Transfer.ReplaceHead needs updating.");

    private static TorchSharp.Utils.OrderedDict<string, nn.Module> Registered(nn.Module model) =>
        (TorchSharp.Utils.OrderedDict<string, nn.Module>)SubmodulesField.GetValue(model)!;

    /// <summary>
    /// Splits the trainable parameters into groups by name prefix, each with its learning rate; the first matching
    /// prefix wins, and <c>""</c> matches everything. A trainable parameter that no group takes is an error (give it a
    /// group or freeze it), so that no layer silently stops learning.
    /// </summary>
    public static IReadOnlyList<ParameterGroup> Groups(nn.Module model, params (string Prefix, double LearningRate)[] groups)
    {
        if (groups.Length == 0) throw new ArgumentException("Give at least one (prefix, learning rate) group.", nameof(groups));
        var members = groups.Select(_ => new List<Parameter>()).ToArray();
        var unassigned = new List<string>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad) continue;
            var index = Array.FindIndex(groups, g => Matches(name, g.Prefix));
            if (index < 0) unassigned.Add(name);
            else members[index].Add(parameter);
        }
        if (unassigned.Count > 0)
            throw new ArgumentException(
                $"No group takes the trainable parameters {string.Join(", ", unassigned.Take(8))}{(unassigned.Count > 8 ? ", …" : "")}. " +
                "Add a group for their prefix (\"\" takes everything left), or freeze them with Transfer.Freeze.", nameof(groups));
        var empty = groups.Where((g, i) => members[i].Count == 0).Select(g => g.Prefix).ToList();
        if (empty.Count > 0)
            throw new ArgumentException($"The groups {string.Join(", ", empty.Select(p => $"\"{p}\""))} hold no trainable parameter (frozen, or a mistyped prefix).", nameof(groups));
        return groups.Select((g, i) => new ParameterGroup(g.Prefix, g.LearningRate, members[i])).ToList();
    }

    /// <summary>SGD with momentum and weight decay over parameter groups, each at its own learning rate.</summary>
    public static SGD Sgd(IReadOnlyList<ParameterGroup> groups, double momentum = 0.9, double weightDecay = 0.0) =>
        optim.SGD(groups.Select(g => new SGD.ParamGroup(g.Parameters, g.LearningRate, momentum, 0.0, weightDecay, false, false)),
            groups[0].LearningRate, momentum, 0.0, weightDecay);

    /// <summary>AdamW over parameter groups, each at its own learning rate.</summary>
    public static AdamW AdamW(IReadOnlyList<ParameterGroup> groups, double weightDecay = 0.01) =>
        optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, g.LearningRate, 0.9, 0.999, 1e-8, weightDecay, false, false)),
            groups[0].LearningRate, 0.9, 0.999, 1e-8, weightDecay);

    private static bool Matches(string name, string prefix) =>
        prefix.Length == 0 || name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal);

    private static long SetTrainable(nn.Module model, bool trainable, string[] prefixes)
    {
        long count = 0;
        var used = new HashSet<string>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var prefix = prefixes.Length == 0 ? "" : prefixes.FirstOrDefault(p => Matches(name, p));
            if (prefix is null) continue;
            used.Add(prefix);
            parameter.requires_grad = trainable;
            count += parameter.numel();
        }
        var unknown = prefixes.Where(p => !used.Contains(p)).ToList();
        if (unknown.Count > 0)
        {
            var top = model.named_parameters().Select(p => p.name.Split('.')[0]).Distinct();
            throw new ArgumentException($"No parameter of {model.GetName()} is named {string.Join(" or ", unknown.Select(p => $"\"{p}.…\""))}; its top-level names are {string.Join(", ", top)}.", nameof(prefixes));
        }
        return count;
    }
}
