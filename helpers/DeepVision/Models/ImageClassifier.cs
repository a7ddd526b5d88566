using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepVision.Models;

/// <summary>
/// A zoo network whose classification head can be swapped for transfer learning: AlexNet's and VGG's
/// <c>classifier</c>, ResNet's <c>fc</c>, MobileNetV2's <c>classifier</c>, the ViT's <c>heads</c>.
/// </summary>
public abstract class ImageClassifier : Module<Tensor, Tensor>
{
    /// <summary>Names the module, as TorchSharp's <c>Module</c> does.</summary>
    protected ImageClassifier(string name) : base(name) { }

    /// <summary>The head's name, which is also its state_dict prefix ("classifier", "fc", "heads").</summary>
    public abstract string HeadName { get; }

    /// <summary>
    /// The classification head. Setting it replaces the module under <see cref="HeadName"/>: the new head moves to
    /// the model's device and training mode, and the old one is disposed.
    /// </summary>
    public abstract Module<Tensor, Tensor> Head { get; set; }

    /// <summary>Registers <paramref name="replacement"/> in place of <paramref name="old"/>; returns it for the field.</summary>
    protected Module<Tensor, Tensor> SwapHead(Module<Tensor, Tensor> old, Module<Tensor, Tensor> replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        if (ReferenceEquals(old, replacement)) return old;
        var device = parameters().FirstOrDefault()?.device;
        if (device is not null) replacement.to(device);
        replacement.train(training);
        _internal_submodules[HeadName] = replacement;
        old.Dispose();
        return replacement;
    }
}
