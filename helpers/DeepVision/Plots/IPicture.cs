namespace DeepVision.Plots;

/// <summary>A picture of the helpers' (chart, image grid, heatmap, scatter plot): what a file-based app saves as a PNG.</summary>
public interface IPicture
{
    /// <summary>The picture as PNG bytes.</summary>
    byte[] ToPng();
}
