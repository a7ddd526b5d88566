using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive.Formatting;

namespace DeepVision.Training;

/// <summary>
/// The progress bar of <see cref="Trainer.Fit"/>, like fastai's or tqdm's: batch n of N, images per second, the running
/// loss and the time left, updated in place in the kernel (at most twice a second) and ending as one line.
/// </summary>
internal sealed class TrainingProgress
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(0.5);
    private readonly LiveDisplay? display;
    private readonly Func<History, object>? chart;
    private readonly Stopwatch total = Stopwatch.StartNew();
    private readonly Stopwatch sinceUpdate = Stopwatch.StartNew();
    private readonly int epochs, batchesPerEpoch;
    private long images, batchesDone;
    private string chartHtml = "";   // formatted once per epoch, not at every redraw

    public TrainingProgress(bool show, int epochs, int batchesPerEpoch, Func<History, object>? chart)
    {
        (this.epochs, this.batchesPerEpoch, this.chart) = (epochs, batchesPerEpoch, chart);
        if (show && LiveDisplay.InKernel) display = LiveDisplay.Show(new HtmlString(Html($"training {epochs} epoch{(epochs == 1 ? "" : "s")} × {batchesPerEpoch} batches…", 0)));
    }

    /// <summary>After each batch: redraws when the last redraw is older than the interval.</summary>
    public void Batch(int epochIndex, int batch, long batchImages, double runningLoss)
    {
        images += batchImages;
        batchesDone++;
        if (display is null || sinceUpdate.Elapsed < Interval) return;
        sinceUpdate.Restart();
        var perSecond = images / total.Elapsed.TotalSeconds;
        var left = TimeSpan.FromSeconds(total.Elapsed.TotalSeconds / batchesDone * ((long)epochs * batchesPerEpoch - batchesDone));
        Redraw($"epoch {epochIndex + 1}/{epochs} · batch {batch}/{batchesPerEpoch} · {perSecond:N0} img/s · loss {runningLoss:F4} · " +
               $"{Clock(total.Elapsed)} elapsed, about {Clock(left)} left", (double)batchesDone / ((long)epochs * batchesPerEpoch));
    }

    /// <summary>After each epoch: the chart, if one was asked for, is drawn anew under the bar.</summary>
    public void Epoch(History history, int epochIndex)
    {
        if (display is null) return;
        chartHtml = chart?.Invoke(history).ToDisplayString("text/html") ?? "";
        Redraw($"epoch {epochIndex + 1}/{epochs} done · {History.Format(history.Epochs[^1], history.EvaluatedOn)}", (double)(epochIndex + 1) / epochs);
    }

    /// <summary>The one line that stays in the saved notebook.</summary>
    public void Finish(History history, int epochsRun)
    {
        var line = $"trained {epochsRun} epoch{(epochsRun == 1 ? "" : "s")} × {batchesPerEpoch} batches in {Clock(total.Elapsed)}, " +
                   $"{images / Math.Max(total.Elapsed.TotalSeconds, 1e-9):N0} img/s" +
                   (history.Last is { } last ? $"; last epoch: loss {last.TrainLoss:F4}" + (last.TestAccuracy is { } a ? $", {history.EvaluatedOn} acc {a * 100:F1}%" : "") : "") +
                   (history.Precision == Precision.MixedBFloat16 ? "; bfloat16 mixed precision" : "") +
                   (history.StoppedEarly ? $"; stopped early after {epochsRun} of {epochs} epochs" : "");
        display?.Update(new HtmlString(Html(line, 1, bar: false)));
    }

    private void Redraw(string text, double fraction)
    {
        display!.Update(new HtmlString(Html(text, fraction) + chartHtml));
    }

    private static string Html(string text, double fraction, bool bar = true) =>
        "<div style=\"font-family:monospace\">" +
        (bar ? $"<progress value=\"{fraction:F3}\" max=\"1\" style=\"width:240px;vertical-align:middle\"></progress> " : "") +
        $"{WebUtility.HtmlEncode(text)}</div>";

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{t:m\\:ss}";
}
