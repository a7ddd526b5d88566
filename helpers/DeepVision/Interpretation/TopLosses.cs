using DeepVision.Data;
using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Interpretation;

/// <summary>One example the model got most wrong: its index in the data, its loss, what was predicted with which probability, and the truth.</summary>
public sealed record TopLoss(long Index, double Loss, long Predicted, double Probability, long Actual);

/// <summary>
/// The examples with the largest loss (fast.ai's plot_top_losses): confidently wrong predictions, and often
/// mislabelled or ambiguous images. Looking at them is the quickest way to learn what a model has not understood.
/// </summary>
public static class TopLosses
{
    /// <summary>
    /// The <paramref name="count"/> examples of <paramref name="data"/> (which must not shuffle, so that indices point
    /// into <c>data.Dataset</c>) with the largest cross-entropy loss, largest first, the model computing as
    /// <paramref name="compute"/> says (a training run's <see cref="TrainingOptions.Compute"/>; default float32).
    /// </summary>
    public static IReadOnlyList<TopLoss> Find(Module<Tensor, Tensor> model, BatchLoader data, int count = 16, ComputeOptions? compute = null)
    {
        if (data.Shuffle) throw new ArgumentException("Use a loader without shuffling: the indices must point into its dataset in order.", nameof(data));
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Ask for 1 or more examples.");
        var losses = new List<Tensor>();
        var predicted = new List<Tensor>();
        var probabilities = new List<Tensor>();
        var actual = new List<Tensor>();
        using (var run = (compute ?? ComputeOptions.Default).Evaluating(model))
        using (torch.no_grad())
        {
            foreach (var (x, y) in data)
            {
                using var scope = torch.NewDisposeScope();
                var logits = run.Forward(x);
                var p = functional.softmax(logits, 1);
                var (top, index) = p.max(1);
                losses.Add(functional.cross_entropy(logits, y, reduction: Reduction.None).cpu().MoveToOuterDisposeScope());
                predicted.Add(index.cpu().MoveToOuterDisposeScope());
                probabilities.Add(top.cpu().MoveToOuterDisposeScope());
                actual.Add(y.cpu().MoveToOuterDisposeScope());
            }
        }
        using var all = torch.cat(losses);
        using var pred = torch.cat(predicted);
        using var prob = torch.cat(probabilities);
        using var act = torch.cat(actual);
        foreach (var t in losses.Concat(predicted).Concat(probabilities).Concat(actual)) t.Dispose();
        var (values, indexes) = all.topk(Math.Min(count, (int)all.shape[0]));
        using (values)
        using (indexes)
        {
            return indexes.data<long>().ToArray().Select((i, k) => new TopLoss(i, values[k].item<float>(), pred[i].item<long>(), prob[i].item<float>(), act[i].item<long>())).ToList();
        }
    }
}
