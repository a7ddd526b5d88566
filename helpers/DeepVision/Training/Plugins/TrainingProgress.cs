using System.Diagnostics;

namespace DeepVision.Training;

/// <summary>
/// The progress bar of <see cref="Trainer.Fit"/>, like fastai's or tqdm's: batch n of N, images per second, the running
/// loss and the time left, updated in place in the kernel (at most twice a second) and ending as one line.
/// </summary>
internal sealed class TrainingProgress(Recorder recorder) : TrainingPlugin
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(0.5);
    private readonly Stopwatch total = new();
    private readonly Stopwatch sinceUpdate = new();
    private LiveDisplay? display;
    private Func<History, object>? chart;
    private int epochs, batchesPerEpoch;
    private long images, batchesDone;
    private object? chartShown;   // drawn once per epoch, not at every redraw

    public override void BeforeFit(FitState fit)
    {
        (epochs, batchesPerEpoch, chart) = (fit.Options.Epochs, fit.Train.Count, fit.Options.Live);
        total.Start();
        sinceUpdate.Start();
        if (LiveDisplay.Active) display = LiveDisplay.Show(new TrainingStatus($"training {epochs} epoch{(epochs == 1 ? "" : "s")} × {batchesPerEpoch} batches…", 0, false, null));
    }

    /// <summary>After each batch: redraws when the last redraw is older than the interval (the only time it reads the loss).</summary>
    public override void AfterBatch(FitState fit)
    {
        images += fit.Images.shape[0];
        batchesDone++;
        if (display is null || sinceUpdate.Elapsed < Interval) return;
        sinceUpdate.Restart();
        var perSecond = images / total.Elapsed.TotalSeconds;
        var left = TimeSpan.FromSeconds(total.Elapsed.TotalSeconds / batchesDone * ((long)epochs * batchesPerEpoch - batchesDone));
        Redraw($"epoch {fit.EpochsStarted}/{epochs} · batch {fit.Batch}/{batchesPerEpoch} · {perSecond:N0} img/s · loss {recorder.RunningLoss:F4} · " +
               $"{Clock(total.Elapsed)} elapsed, about {Clock(left)} left", (double)batchesDone / ((long)epochs * batchesPerEpoch));
    }

    /// <summary>After each epoch: the chart, if one was asked for, is drawn anew under the bar.</summary>
    public override void AfterEpoch(FitState fit)
    {
        if (display is null) return;
        var history = fit.History;
        chartShown = chart?.Invoke(history);
        Redraw($"epoch {fit.EpochsStarted}/{epochs} done · {History.Format(history.Epochs[^1], history.EvaluatedOn)}", (double)fit.EpochsStarted / epochs);
    }

    /// <summary>The one line that stays in the saved notebook.</summary>
    public override void AfterFit(FitState fit)
    {
        var history = fit.History;
        var epochsRun = history.Epochs.Count - fit.FirstEpoch + 1;
        var run = history.Epochs.Skip(fit.FirstEpoch - 1).ToList();
        // The one throughput figure is the epoch lines' (training only, over the epochs' training time); the time is
        // the whole run's, evaluation included, and says so.
        var trainingRate = run.Count == 0 ? 0 : run.Count / run.Sum(e => 1 / Math.Max(e.ExamplesPerSecond, 1e-9));
        var evaluated = run.Any(e => e.TestAccuracy is not null || e.TestLoss is not null);
        var line = $"trained {epochsRun} epoch{(epochsRun == 1 ? "" : "s")} × {batchesPerEpoch} batches in {Clock(total.Elapsed)}" +
                   (evaluated ? $" ({history.EvaluatedOn} included)" : "") + $", {trainingRate:N0} training img/s" +
                   (history.Last is { } last ? $"; last epoch: loss {last.TrainLoss:F4}" + (last.TestAccuracy is { } a ? $", {history.EvaluatedOn} acc {a * 100:F1}%" : "") : "") +
                   (history.Precision == Precision.MixedBFloat16 ? "; bfloat16 mixed precision" : "") +
                   (history.StoppedEarly ? $"; stopped early after {epochsRun} of {epochs} epochs" : "");
        display?.Update(new TrainingStatus(line, 1, true, null));
    }

    private void Redraw(string text, double fraction) => display!.Update(new TrainingStatus(text, fraction, false, chartShown));

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{t:m\\:ss}";
}
