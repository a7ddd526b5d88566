using DeepVision.Data;
using DeepVision.Training;

namespace DeepVision.Tests.Training;

public class ClassAccuracyTests
{
    [Fact]
    public void Per_class_accuracy_counts_each_true_class_with_its_sampling_error()
    {
        using var cifar = Datasets.CIFAR10(train: false, root: RepoPaths.Samples());
        var labels = cifar.Labels.data<long>().ToArray();
        // Every cat called a dog, and every third image of the other classes called class 0.
        var guesses = labels.Select((l, i) => l == 3 ? 5L : i % 3 == 0 ? 0L : l).ToArray();
        using var predicted = torch.tensor(guesses);
        var rows = ClassAccuracy.PerClass(predicted, cifar.Labels, cifar.ClassNames);
        Assert.Equal(cifar.ClassNames, rows.Select(r => r.ClassName));
        Assert.Equal(labels.Length, rows.Sum(r => r.Images));
        for (var c = 0; c < 10; c++)
        {
            var ofClass = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToList();
            Assert.Equal(ofClass.Count, rows[c].Images);
            Assert.Equal(ofClass.Count(i => guesses[i] == c), rows[c].Correct);
        }
        Assert.Equal(0, rows[3].Accuracy);
        Assert.Equal(1.0, rows[0].Accuracy);
        var dog = rows[5];
        Assert.Equal(2 * Math.Sqrt(dog.Accuracy * (1 - dog.Accuracy) / dog.Images), dog.TwoStandardErrors, 12);
        Assert.Matches(@"^dog +\d+\.\d ?% ± \d+\.\d ?% of \d+ images$", dog.ToString());
        // Labels from two different sets of images, or a class without a name: a clear error, not a wrong table.
        using var fewer = predicted[..10];
        Assert.Contains("give both for the same images", Assert.Throws<ArgumentException>(() => ClassAccuracy.PerClass(fewer, cifar.Labels, cifar.ClassNames)).Message);
        Assert.Contains("classNames must name every class", Assert.Throws<ArgumentException>(() => ClassAccuracy.PerClass(predicted, cifar.Labels, cifar.ClassNames.Take(5).ToList())).Message);
    }
}
