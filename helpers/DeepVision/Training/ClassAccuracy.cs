namespace DeepVision.Training;

/// <summary>
/// How many of one class's images a model got right, with the sampling error of that fraction: one line of the
/// per-class table that notebook 06 builds by hand (<see cref="PerClass"/>).
/// </summary>
public sealed record ClassAccuracy(string ClassName, int Images, int Correct)
{
    /// <summary>The fraction of the class's images predicted as the class (NaN for a class with no images).</summary>
    public double Accuracy => Images == 0 ? double.NaN : (double)Correct / Images;

    /// <summary>Two standard errors of <see cref="Accuracy"/> (binomial): differences smaller than this are noise.</summary>
    public double TwoStandardErrors => Images == 0 ? double.NaN : 2 * Math.Sqrt(Accuracy * (1 - Accuracy) / Images);

    /// <summary>One aligned line: name, accuracy ± two standard errors, and the number of images.</summary>
    public override string ToString() => $"{ClassName,-17} {Accuracy,7:P1} ± {TwoStandardErrors:P1} of {Images} images";

    /// <summary>
    /// One row per class, in the order of <paramref name="classNames"/>: of the images whose true label is the class
    /// (<paramref name="actual"/>), how many <paramref name="predicted"/> got right. Both are label tensors [N].
    /// </summary>
    public static IReadOnlyList<ClassAccuracy> PerClass(Tensor predicted, Tensor actual, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(classNames);
        if (predicted.numel() != actual.numel())
            throw new ArgumentException($"predicted has {predicted.numel()} labels and actual {actual.numel()}: give both for the same images.", nameof(predicted));
        var p = predicted.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        var a = actual.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        if (a.Any(l => l < 0 || l >= classNames.Count))
            throw new ArgumentException($"actual holds labels outside 0..{classNames.Count - 1}: classNames must name every class.", nameof(classNames));
        var images = new int[classNames.Count];
        var correct = new int[classNames.Count];
        for (var i = 0; i < a.Length; i++)
        {
            images[a[i]]++;
            if (p[i] == a[i]) correct[a[i]]++;
        }
        return classNames.Select((name, c) => new ClassAccuracy(name, images[c], correct[c])).ToList();
    }
}
