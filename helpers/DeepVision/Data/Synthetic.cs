namespace DeepVision.Data;

/// <summary>Points and targets of a synthetic dataset: X float32 [N, features], y float32 [N, 1] or int64 [N].</summary>
public sealed record PointSet(Tensor X, Tensor Y) : IDisposable
{
    /// <summary>Number of points.</summary>
    public long Count => X.shape[0];

    /// <summary>The first <paramref name="fraction"/> of the points and the rest: a train/test split of shuffled data.</summary>
    public (PointSet Train, PointSet Test) Split(double fraction)
    {
        var n = (long)Math.Round(Count * fraction);
        return (new PointSet(X[..(int)n].clone(), Y[..(int)n].clone()), new PointSet(X[(int)n..].clone(), Y[(int)n..].clone()));
    }

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}

/// <summary>The small synthetic datasets of the first notebooks, each reproducible from its seed.</summary>
public static class Synthetic
{
    /// <summary>y = slope · x + intercept + Gaussian noise, x uniform in [xMin, xMax]: X [N, 1], Y [N, 1].</summary>
    public static PointSet NoisyLine(int count, double slope, double intercept, double noise, double xMin = -1, double xMax = 1, int seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var x = torch.rand(count, 1, generator: generator) * (xMax - xMin) + xMin;
        var y = x * slope + intercept + torch.randn(count, 1, generator: generator) * noise;
        return new PointSet(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    /// <summary>Two Gaussian blobs in 2-D around the given centres, labels 0 and 1 (int64), shuffled.</summary>
    public static PointSet Blobs(int countPerClass, (double X, double Y) center0, (double X, double Y) center1, double spread = 1.0, int seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(countPerClass, 2, generator: generator) * spread + torch.tensor(new[] { (float)center0.X, (float)center0.Y });
        var b = torch.randn(countPerClass, 2, generator: generator) * spread + torch.tensor(new[] { (float)center1.X, (float)center1.Y });
        var labels = torch.cat([torch.zeros(countPerClass, ScalarType.Int64), torch.ones(countPerClass, ScalarType.Int64)]);
        return Shuffled(torch.cat([a, b]), labels, generator);
    }

    /// <summary>XOR: points in the four quadrants, label 1 where exactly one coordinate is positive.</summary>
    public static PointSet Xor(int count, double noise = 0.1, int seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var corners = torch.randint(0, 2, [count, 2], generator: generator).to_type(ScalarType.Float32) * 2 - 1;
        var x = corners + torch.randn(count, 2, generator: generator) * noise;
        var labels = ((corners[.., 0] * corners[.., 1]) < 0).to_type(ScalarType.Int64);
        return new PointSet(x.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>Two interleaving half circles (scikit-learn's make_moons), with Gaussian noise.</summary>
    public static PointSet Moons(int count, double noise = 0.1, int seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var outer = count / 2;
        var inner = count - outer;
        var t0 = torch.linspace(0, Math.PI, outer);
        var t1 = torch.linspace(0, Math.PI, inner);
        var a = torch.stack([t0.cos(), t0.sin()], 1);
        var b = torch.stack([1 - t1.cos(), 0.5 - t1.sin()], 1);
        var x = torch.cat([a, b]) + torch.randn(count, 2, generator: generator) * noise;
        var labels = torch.cat([torch.zeros(outer, ScalarType.Int64), torch.ones(inner, ScalarType.Int64)]);
        return Shuffled(x, labels, generator);
    }

    /// <summary>A small circle inside a large one (scikit-learn's make_circles): label 1 for the inner circle.</summary>
    public static PointSet Circles(int count, double noise = 0.05, double factor = 0.5, int seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var outer = count / 2;
        var inner = count - outer;
        var t0 = torch.linspace(0, 2 * Math.PI, outer + 1)[..outer];
        var t1 = torch.linspace(0, 2 * Math.PI, inner + 1)[..inner];
        var a = torch.stack([t0.cos(), t0.sin()], 1);
        var b = torch.stack([t1.cos(), t1.sin()], 1) * factor;
        var x = torch.cat([a, b]) + torch.randn(count, 2, generator: generator) * noise;
        var labels = torch.cat([torch.zeros(outer, ScalarType.Int64), torch.ones(inner, ScalarType.Int64)]);
        return Shuffled(x, labels, generator);
    }

    private static PointSet Shuffled(Tensor x, Tensor labels, Generator generator)
    {
        var order = torch.randperm(x.shape[0], generator: generator);
        return new PointSet(x.index_select(0, order).MoveToOuterDisposeScope(), labels.index_select(0, order).MoveToOuterDisposeScope());
    }
}
