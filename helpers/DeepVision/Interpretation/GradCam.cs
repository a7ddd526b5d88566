using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Interpretation;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017): where in an image a convolutional network looked for a class. The activations
/// of one convolutional layer are weighted by the average gradient of the class score with respect to each channel,
/// summed over channels and passed through ReLU: a coarse map of the regions that raised the score.
/// </summary>
public static class GradCam
{
    /// <summary>
    /// Heat maps [N, H, W] in [0, 1], at the images' own size, for <paramref name="classes"/> (null: each image's
    /// predicted class). <paramref name="layer"/> is a convolutional layer (or block) of <paramref name="model"/>,
    /// usually the last one: a forward hook keeps its output and asks autograd to keep that output's gradient.
    /// The images are model inputs (normalized as the model expects); the model computes as <paramref name="compute"/>
    /// says (a training run's <see cref="TrainingOptions.Compute"/>; default float32) and is left as it was, gradients zeroed.
    /// </summary>
    public static Tensor Compute(Module<Tensor, Tensor> model, Module<Tensor, Tensor> layer, Tensor images, Tensor? classes = null, ComputeOptions? compute = null)
    {
        if (images.dim() != 4) throw new ArgumentException($"Grad-CAM takes a batch of images [N, C, H, W], not {images.ShapeText()}.", nameof(images));
        Tensor? activation = null;
        // The hook keeps the layer's output and hands the network an alias of it. Models dispose their intermediate
        // results (a forward pass in a dispose scope, a Sequential passing results on), so the kept tensor is taken out
        // of every dispose scope and disposed here, after its gradient has been read.
        var hook = layer.register_forward_hook((_, _, output) =>
        {
            output.retain_grad();
            activation = output.DetachFromDisposeScope();
            return output.alias();
        });
        var run = (compute ?? ComputeOptions.Default).Evaluating(model);
        try
        {
            using var scope = torch.NewDisposeScope();
            // The input asks for gradients, so the layer's output has one even when every weight is frozen.
            var input = images.detach().requires_grad_(true);
            var logits = run.Forward(input);
            if (activation is null) throw new ArgumentException("The layer was not used by the model's forward pass: pass one of the model's own layers.", nameof(layer));
            if (activation.dim() != 4) throw new ArgumentException($"Grad-CAM needs a convolutional layer's output [N, C, h, w]; this layer gives {activation.ShapeText()}.", nameof(layer));
            var target = classes?.to(logits.device) ?? logits.argmax(1);
            logits.gather(1, target.unsqueeze(1)).sum().backward();
            var channelWeights = activation.grad!.to(ScalarType.Float32).mean([2, 3], keepdim: true);
            var cam = functional.relu((channelWeights * activation.detach().to(ScalarType.Float32)).sum(1, keepdim: true));
            cam = functional.interpolate(cam, size: [images.shape[2], images.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            var peak = cam.amax([2, 3], keepdim: true).clamp_min(1e-8);
            return (cam / peak).squeeze(1).cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            activation?.grad?.Dispose();
            activation?.Dispose();
            hook.remove();
            run.Dispose();   // float32 weights and the model's mode back (frozen batch normalization stays in eval)
            model.zero_grad();
        }
    }

    /// <summary>
    /// The heat maps laid over the images: RGB [N, 3, H, W] in [0, 1] (images in [0, 1], greyscale or colour), the map
    /// drawn from dark red (low) to yellow (high) with weight <paramref name="alpha"/>, for <c>ImageGrid</c>.
    /// </summary>
    public static Tensor Overlay(Tensor images, Tensor heat, double alpha = 0.5)
    {
        using var scope = torch.NewDisposeScope();
        var rgb = images.cpu().to_type(ScalarType.Float32);
        if (rgb.shape[1] == 1) rgb = rgb.expand(-1, 3, -1, -1);
        var h = heat.cpu().to_type(ScalarType.Float32).unsqueeze(1);
        var colour = torch.cat([(2 * h).clamp(0, 1), (2 * h - 1).clamp(0, 1), torch.zeros_like(h)], 1);
        return ((1 - alpha) * rgb + alpha * colour).clamp(0, 1).MoveToOuterDisposeScope();
    }
}
