using System.Globalization;
using System.Text.RegularExpressions;
using DeepVision.Data;
using DeepVision.Training;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Training;

/// <summary>The progress bar's last line gives one throughput figure, the epoch lines' own.</summary>
[Collection(RunsAloneCollection.Name)] // LiveDisplay.Sink is process-wide
public class TrainingProgressTests
{
    private sealed class RecordingSink : IDisplaySink
    {
        public List<string> Shown { get; } = [];
        public object Show(object value) { lock (Shown) Shown.Add(value.ToString() ?? ""); return Shown.Count; }
        public void Update(object handle, object value) { lock (Shown) Shown.Add(value.ToString() ?? ""); }
    }

    [Fact]
    public void The_last_line_states_the_training_rate_of_the_epoch_lines_and_the_time_with_evaluation()
    {
        var sink = new RecordingSink();
        LiveDisplay.Sink = sink;
        try
        {
            torch.manual_seed(0);
            var samples = Path.Combine(RepoPaths.Root, "datasets");
            using var train = Datasets.MNIST(train: true, root: samples);
            using var test = Datasets.MNIST(train: false, root: samples);
            var model = TrainerTests.SmallCnn();
            var history = Trainer.Fit(model, new BatchLoader(train, 64, torch.CPU, shuffle: true), new BatchLoader(test, 250, torch.CPU),
                optim.Adam(model.parameters(), 3e-3), CrossEntropyLoss(), new(3) { EvaluatedOn = "validation" });
            var last = sink.Shown[^1];
            var match = Regex.Match(last, @"^trained 3 epochs × 32 batches in \d+:\d\d \(validation included\), ([\d,]+) training img/s; last epoch: ");
            Assert.True(match.Success, last);
            var stated = double.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
            // The images of all epochs over their training time: the epoch lines' rates combined (harmonic mean).
            var combined = 3 / history.Epochs.Sum(e => 1 / e.ExamplesPerSecond);
            Assert.InRange(stated, combined - 1, combined + 1);
            Assert.InRange(stated, history.Epochs.Min(e => e.ExamplesPerSecond) - 1, history.Epochs.Max(e => e.ExamplesPerSecond) + 1);
        }
        finally
        {
            LiveDisplay.Sink = null;
        }
    }
}
