using System.Diagnostics;
using DeepVision.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepVision.Training;

/// <summary>The figures of one pass over evaluation data. Accuracies are fractions.</summary>
public sealed record EvaluationResult(double Loss, double Accuracy, double Top5, long Examples);

/// <summary>
/// The training and evaluation loops of the course (d2l's train_ch6, in C#). Every batch runs inside a dispose
/// scope, so native memory stays flat however long training runs.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains a classifier for <paramref name="epochs"/> epochs and evaluates it on <paramref name="test"/> after each
    /// one. <paramref name="scheduler"/> steps once per epoch, or once per batch when <paramref name="schedulePerBatch"/>
    /// (one-cycle schedules); <paramref name="onEpoch"/> runs after each epoch (live
    /// plots); <paramref name="onLog"/> every <paramref name="logEvery"/> batches. Given a <paramref name="history"/>
    /// from an earlier call, training continues it: the new epochs are appended and numbered on. In a notebook a
    /// progress bar updates in place while training runs (unless <paramref name="showProgress"/> is false) and ends as
    /// one line; <paramref name="live"/> draws a chart of the history under it after each epoch (for example
    /// <c>h =&gt; LineChart.Accuracy(h, "title")</c>).
    /// </summary>
    public static History Fit(Module<Tensor, Tensor> model, BatchLoader train, BatchLoader? test, optim.Optimizer optimizer,
        Module<Tensor, Tensor, Tensor> loss, int epochs, optim.lr_scheduler.LRScheduler? scheduler = null,
        Action<History>? onEpoch = null, int logEvery = 50, Action<History>? onLog = null, bool classification = true,
        bool schedulePerBatch = false, History? history = null, Func<History, object>? live = null, bool showProgress = true)
    {
        history ??= new History();
        var firstEpoch = history.Epochs.Count + 1;
        var progress = new TrainingProgress(showProgress, epochs, train.Count, live);
        for (var epoch = firstEpoch; epoch < firstEpoch + epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            model.train();
            double lossSum = 0, windowLoss = 0;
            long correct = 0, seen = 0;
            int batch = 0, window = 0;
            foreach (var (x, y) in train)
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                var output = model.forward(x);
                var l = loss.forward(output, y);
                l.backward();
                optimizer.step();
                if (schedulePerBatch) scheduler?.step();
                // One synchronising read per batch: the loss (and the correct count) as CPU numbers.
                var batchLoss = l.item<float>();
                var n = x.shape[0];
                lossSum += batchLoss * n;
                if (classification) correct += output.argmax(1).eq(y).sum().item<long>();
                seen += n;
                batch++;
                windowLoss += batchLoss;
                window++;
                progress.Batch(epoch - firstEpoch, batch, n, windowLoss / window);
                if (logEvery > 0 && batch % logEvery == 0)
                {
                    history.Batches.Add(new BatchLoss(epoch - 1 + (double)batch / train.Count, windowLoss / window));
                    windowLoss = 0;
                    window = 0;
                    onLog?.Invoke(history);
                }
            }
            var trainTime = watch.Elapsed;
            var learningRate = optimizer.ParamGroups.First().LearningRate;
            if (!schedulePerBatch) scheduler?.step();
            var evaluation = test is null ? null : Evaluate(model, test, loss, classification);
            history.Epochs.Add(new EpochMetrics(epoch, lossSum / Math.Max(seen, 1), classification ? (double)correct / Math.Max(seen, 1) : null,
                evaluation?.Loss, classification ? evaluation?.Accuracy : null, classification ? evaluation?.Top5 : null,
                learningRate, seen / trainTime.TotalSeconds, watch.Elapsed));
            progress.Epoch(history, epoch - firstEpoch);
            onEpoch?.Invoke(history);
        }
        progress.Finish(history);
        return history;
    }

    /// <summary>Loss, top-1 and top-5 accuracy over a dataset, in eval mode without gradients.</summary>
    public static EvaluationResult Evaluate(Module<Tensor, Tensor> model, BatchLoader data, Module<Tensor, Tensor, Tensor>? loss = null, bool classification = true)
    {
        var wasTraining = model.training;
        model.eval();
        double lossSum = 0;
        long correct = 0, correct5 = 0, seen = 0;
        using (torch.no_grad())
        {
            foreach (var (x, y) in data)
            {
                using var scope = torch.NewDisposeScope();
                var output = model.forward(x);
                var n = x.shape[0];
                if (loss is not null) lossSum += loss.forward(output, y).item<float>() * n;
                if (classification)
                {
                    correct += output.argmax(1).eq(y).sum().item<long>();
                    var k = Math.Min(5, (int)output.shape[1]);
                    var top = output.topk(k, dim: 1).indexes;
                    correct5 += top.eq(y.unsqueeze(1)).any(1).sum().item<long>();
                }
                seen += n;
            }
        }
        if (wasTraining) model.train();
        return new EvaluationResult(loss is null ? double.NaN : lossSum / Math.Max(seen, 1),
            (double)correct / Math.Max(seen, 1), (double)correct5 / Math.Max(seen, 1), seen);
    }

    /// <summary>The model's predicted class for every example, with the true labels, both on the CPU (for confusion matrices).</summary>
    public static (Tensor Predicted, Tensor Actual) Predict(Module<Tensor, Tensor> model, BatchLoader data)
    {
        var wasTraining = model.training;
        model.eval();
        var predicted = new List<Tensor>();
        var actual = new List<Tensor>();
        using (torch.no_grad())
        {
            foreach (var (x, y) in data)
            {
                using var scope = torch.NewDisposeScope();
                predicted.Add(model.forward(x).argmax(1).cpu().MoveToOuterDisposeScope());
                actual.Add(y.cpu().MoveToOuterDisposeScope());
            }
        }
        if (wasTraining) model.train();
        var p = torch.cat(predicted);
        var a = torch.cat(actual);
        predicted.ForEach(t => t.Dispose());
        actual.ForEach(t => t.Dispose());
        return (p, a);
    }
}
