namespace DeepVision;

/// <summary>How big a tensor or a model is, said the same way in every notebook.</summary>
public static class Sizes
{
    /// <summary>The tensor's shape as PyTorch prints it, without the <c>torch.Size</c>: <c>[8, 3, 32, 32]</c>.</summary>
    public static string ShapeText(this Tensor tensor) => ShapeText(tensor.shape);

    /// <summary>A shape as <c>[8, 3, 32, 32]</c> (<c>[]</c> for a scalar).</summary>
    public static string ShapeText(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>How many numbers the model's parameters hold, trainable or not (PyTorch: <c>sum(p.numel() for p in model.parameters())</c>).</summary>
    public static long ParameterCount(this nn.Module model) => model.parameters().Sum(p => p.numel());

    /// <summary>How many of them the optimizer will change: those with <c>requires_grad</c>.</summary>
    public static long TrainableParameterCount(this nn.Module model) => model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
}
