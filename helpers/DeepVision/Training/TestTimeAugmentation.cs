namespace DeepVision.Training;

/// <summary>
/// Test-time augmentation: a model that classifies several views of each image (the image, its mirror, the image shifted
/// by a pixel, …) and averages their logits with fixed weights. It is itself a module, so <see cref="Trainer.Evaluate"/>,
/// <see cref="Trainer.Predict"/> and the rest take it in place of the model. Shifted views fill the uncovered edge by
/// mirroring the image, so they hold only pixels of the image whatever the normalization, as training's shifts do.
/// </summary>
public sealed class TestTimeAugmentation : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly (string Name, Func<Tensor, Tensor> View, double Weight)[] views;

    private TestTimeAugmentation(nn.Module<Tensor, Tensor> model, params (string, Func<Tensor, Tensor>, double)[] views) : base(nameof(TestTimeAugmentation))
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        this.views = views;
        RegisterComponents();
    }

    /// <summary>The image and its mirror, averaged (half each).</summary>
    public static TestTimeAugmentation Mirror(nn.Module<Tensor, Tensor> model) =>
        new(model, ("image", x => x, 0.5), ("mirror", x => x.flip(-1), 0.5));

    /// <summary>
    /// airbench's six views: the image and its mirror (half the weight together), and both of them shifted by
    /// <paramref name="pixels"/> up and left, and down and right (the other half).
    /// </summary>
    public static TestTimeAugmentation MirrorAndShift(nn.Module<Tensor, Tensor> model, int pixels = 1)
    {
        if (pixels <= 0) throw new ArgumentOutOfRangeException(nameof(pixels), pixels, "Shift by one pixel or more.");
        return new(model,
            ("image", x => x, 0.25), ("mirror", x => x.flip(-1), 0.25),
            ("up-left", x => Shift(x, pixels), 0.125), ("up-left mirror", x => Shift(x, pixels).flip(-1), 0.125),
            ("down-right", x => Shift(x, -pixels), 0.125), ("down-right mirror", x => Shift(x, -pixels).flip(-1), 0.125));
    }

    /// <summary>The views' names, in the order they are computed.</summary>
    public IReadOnlyList<string> Views => [.. views.Select(v => v.Name)];

    /// <inheritdoc />
    public override Tensor forward(Tensor images)
    {
        Tensor? sum = null;
        foreach (var (_, view, weight) in views)
        {
            using var scope = torch.NewDisposeScope();
            var logits = model.call(view(images)).mul(weight);
            var next = sum is null ? logits : sum.add(logits);
            sum?.Dispose();
            sum = next.MoveToOuterDisposeScope();
        }
        return sum!;
    }

    /// <summary>
    /// The images moved by <paramref name="pixels"/> up and left (negative: down and right), the uncovered edge filled by
    /// mirroring the image about its border (the edge pixel repeats), as <see cref="Data.BatchAugment.RandomTranslate"/> fills it in training.
    /// </summary>
    internal static Tensor Shift(Tensor images, int pixels)
    {
        using var scope = torch.NewDisposeScope();
        var shifted = ShiftAlong(ShiftAlong(images, -2, pixels), -1, pixels);
        return shifted.MoveToOuterDisposeScope();
    }

    private static Tensor ShiftAlong(Tensor x, int dim, int pixels)
    {
        var (n, p) = (x.shape[^(-dim)], Math.Abs(pixels));
        if (p >= n) throw new ArgumentOutOfRangeException(nameof(pixels), pixels, $"A shift must be smaller than the image ({n} px).");
        return pixels > 0
            ? torch.cat([x.narrow(dim, p, n - p), x.narrow(dim, n - p, p).flip(dim)], dim)
            : torch.cat([x.narrow(dim, 0, p).flip(dim), x.narrow(dim, 0, n - p)], dim);
    }
}
