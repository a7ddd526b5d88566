namespace DeepVision.Models;

/// <summary>
/// A first convolution that whitens the image's patches (airbench's first layer, after Coates and Ng 2011): its filters
/// are the eigenvectors of the training patches' second-moment matrix, each divided by the square root of its
/// eigenvalue, so that over the training images its outputs are uncorrelated with unit variance. The layer is then
/// frozen: the network starts from decorrelated inputs instead of learning to decorrelate them.
/// </summary>
public static class PatchWhitening
{
    /// <summary>
    /// Sets <paramref name="conv"/>'s weights (no bias: it is zeroed when present) from the patches of
    /// <paramref name="images"/> (float [N, C, H, W], normalized as the network will see them). The layer needs
    /// C·k·k output channels (the whitening filters, largest eigenvalue first) or twice as many (each filter and its
    /// negative, airbench's choice, so that a ReLU after it loses nothing). <paramref name="epsilon"/> keeps the
    /// directions of tiny variance from being blown up. Returns the eigenvalues, largest first.
    /// </summary>
    public static Tensor Initialize(nn.Module<Tensor, Tensor> conv, Tensor images, double epsilon = 5e-4)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(images);
        var weight = conv.named_parameters(recurse: false).FirstOrDefault(p => p.name == "weight").parameter;
        if (weight is null || weight.dim() != 4)
            throw new ArgumentException("PatchWhitening initializes a Conv2d layer (a weight of [out, in, k, k]).", nameof(conv));
        if (images.dim() != 4 || !images.is_floating_point())
            throw new ArgumentException($"The images must be a float batch [N, C, H, W], not {images.dtype} {images.ShapeText()}.", nameof(images));
        var (outChannels, channels, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3]);
        if (images.shape[1] != channels)
            throw new ArgumentException($"The layer takes {channels} channels, the images have {images.shape[1]} channels.", nameof(images));
        var dims = channels * kh * kw;
        if (outChannels != dims && outChannels != 2 * dims)
            throw new ArgumentException($"A {kh}x{kw} whitening layer over {channels} channels has {dims} filters (or {2 * dims} with their negatives), not {outChannels}.", nameof(conv));
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        // Every k x k patch at every position, as rows of C·k·k numbers, in float64 for the eigendecomposition.
        var patches = nn.functional.unfold(images.to(ScalarType.Float64), (kh, kw)).transpose(1, 2).reshape(-1, dims);
        var moment = patches.t().matmul(patches) / patches.shape[0];
        var (values, vectors) = torch.linalg.eigh(moment);
        // eigh sorts ascending: the largest first, as principal components are read.
        values = values.flip(0);
        vectors = vectors.flip(1);
        var filters = (vectors.t() / (values + epsilon).sqrt().unsqueeze(1)).reshape(dims, channels, kh, kw);
        if (outChannels == 2 * dims) filters = torch.cat([filters, -filters]);
        weight.copy_(filters.to(weight.dtype));
        if (conv.named_parameters(recurse: false).FirstOrDefault(p => p.name == "bias").parameter is { } bias) bias.zero_();
        return values.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
