namespace DeepVision.Tests.Foundation;

/// <summary>Proves the native libtorch loads and computes: a small convolution checked against hand-computed values.</summary>
public class NativeTorchTests
{
    [Fact]
    public void Conv2d_forward_and_backward_match_hand_computed_values()
    {
        // Input 1x1x3x3 holding 1..9, kernel 1x1x2x2 [[1,0],[0,-1]], bias 0.5.
        using var x = tensor(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, new long[] { 1, 1, 3, 3 }).requires_grad_();
        using var w = tensor(new float[] { 1, 0, 0, -1 }, new long[] { 1, 1, 2, 2 }).requires_grad_();
        using var b = tensor(new float[] { 0.5f }).requires_grad_();

        using var y = nn.functional.conv2d(x, w, b);
        // Each output is x[i,j] - x[i+1,j+1] + 0.5 = -4 + 0.5 for every position of this input.
        Assert.Equal(new long[] { 1, 1, 2, 2 }, y.shape);
        Assert.Equal(new float[] { -3.5f, -3.5f, -3.5f, -3.5f }, y.data<float>().ToArray());

        using var loss = y.sum();
        loss.backward();
        // d(sum)/dw[k,l] = sum of the input window it touches: w00 sees 1+2+4+5, w11 sees 5+6+8+9.
        Assert.Equal(new float[] { 12, 16, 24, 28 }, w.grad!.data<float>().ToArray());
        Assert.Equal(4f, b.grad!.item<float>());
        // d(sum)/dx: corners touched by one tap (+1 at top-left, -1 at bottom-right), centre by both (0).
        Assert.Equal(new float[] { 1, 1, 0, 1, 0, -1, 0, -1, -1 }, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Output_size_formula_matches_libtorch()
    {
        // The worked examples of the course: 1x224x224 through four 9x9 filters.
        using var input = zeros(1, 1, 224, 224);
        using var conv1 = nn.Conv2d(1, 4, 9, stride: 1, padding: 4);
        using var conv2 = nn.Conv2d(1, 4, 9, stride: 2, padding: 4);
        using var y1 = conv1.forward(input);
        using var y2 = conv2.forward(input);
        Assert.Equal(new long[] { 1, 4, 224, 224 }, y1.shape);
        Assert.Equal(new long[] { 1, 4, 112, 112 }, y2.shape);
        Assert.Equal(224, Conv.OutputSize(224, 9, stride: 1, padding: 4));
        Assert.Equal(112, Conv.OutputSize(224, 9, stride: 2, padding: 4));
        Assert.Equal(3, Conv.OutputSize(5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv.OutputSize(2, 5));
    }
}
