using DeepVision.Data;

namespace DeepVision.Tests.Data;

/// <summary>Decoding a folder of images shows a progress line that ends with the count and the time taken.</summary>
[Collection(RunsAloneCollection.Name)] // LiveDisplay.Sink is process-wide
public class DecodeProgressTests
{
    private sealed class RecordingSink : IDisplaySink
    {
        public List<string> Shown { get; } = [];
        public object Show(object value) { lock (Shown) Shown.Add($"show: {value}"); return Shown.Count; }
        public void Update(object handle, object value) { lock (Shown) Shown.Add($"update: {value}"); }
    }

    [Fact]
    public void Decoding_real_jpegs_reports_how_far_it_is_and_how_long_it_took()
    {
        var sink = new RecordingSink();
        LiveDisplay.Sink = sink;
        try
        {
            using var data = Datasets.Imagenette(train: true, size: 64, root: RepoPaths.Samples("imagenette-sample"));
            Assert.StartsWith($"show: decoding Imagenette train at 64 px: 0 of {data.Count:N0} images", sink.Shown[0]);
            Assert.Matches($@"^update: decoded {data.Count:N0} images of Imagenette train at 64 px in \d+\.\d s$", sink.Shown[^1]);
        }
        finally
        {
            LiveDisplay.Sink = null;
        }
    }
}
