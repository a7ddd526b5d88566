namespace DeepVision;

/// <summary>Arithmetic of convolution and pooling layers, as the notebooks teach it.</summary>
public static class Conv
{
    /// <summary>
    /// Output size along one dimension: floor((input + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1.
    /// With dilation 1 this is the familiar (input + 2·padding − kernel) / stride + 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the kernel does not fit.</exception>
    public static int OutputSize(int input, int kernel, int stride = 1, int padding = 0, int dilation = 1)
    {
        if (input <= 0) throw new ArgumentOutOfRangeException(nameof(input), input, "The input size must be positive.");
        if (kernel <= 0) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "The kernel size must be positive.");
        if (stride <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be positive.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "The padding cannot be negative.");
        if (dilation <= 0) throw new ArgumentOutOfRangeException(nameof(dilation), dilation, "The dilation must be positive.");
        var span = input + 2 * padding - dilation * (kernel - 1) - 1;
        if (span < 0)
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel,
                $"A kernel of {kernel} (dilation {dilation}) does not fit an input of {input} with padding {padding}.");
        return span / stride + 1;
    }
}
