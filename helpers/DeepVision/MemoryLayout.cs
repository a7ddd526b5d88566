namespace DeepVision;

/// <summary>
/// How an image batch lies in memory. TorchSharp's tensors are N × C × H × W with the channels outermost
/// ("contiguous"); channels-last keeps the same shape and indices but stores the C values of each pixel side by side,
/// the layout CPU convolution kernels (oneDNN) and GPU tensor cores work in. TorchSharp 0.107 names the format
/// (<c>TorchSharp.memory_format.channels_last</c>) but no method takes it; libtorch reads the layout from the strides,
/// so a permuted copy is the same thing.
/// </summary>
public static class MemoryLayout
{
    /// <summary>
    /// The batch in channels-last layout: same shape, same values, strides (H·W·C, 1, W·C, C). Convolutions, batch
    /// normalization, ReLU and pooling keep the layout, so one conversion of the input carries through a network.
    /// A 4-D tensor already in it is returned as it is; any other tensor is refused.
    /// </summary>
    public static Tensor ChannelsLast(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
            throw new ArgumentException($"Channels-last layout is for N × C × H × W image batches; this tensor has shape [{string.Join(", ", images.shape)}].", nameof(images));
        return IsChannelsLast(images) ? images : images.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
    }

    /// <summary>Whether a 4-D tensor is laid out channels-last (its channel stride is 1 and its batch stride the largest).</summary>
    public static bool IsChannelsLast(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4) return false;
        var (c, h, w) = (images.shape[1], images.shape[2], images.shape[3]);
        var strides = images.stride();
        return (c == 1 || strides[1] == 1) && (w == 1 || strides[3] == c) && (h == 1 || strides[2] == w * c);
    }
}
