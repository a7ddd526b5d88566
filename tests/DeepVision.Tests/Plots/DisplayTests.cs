using System.Text.RegularExpressions;
using DeepVision.Data;
using DeepVision.Models;
using DeepVision.Plots;
using DeepVision.Training;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using SkiaSharp;
using static TorchSharp.torch.nn;

namespace DeepVision.Tests.Plots;

public class DisplayTests
{
    private static SKBitmap DecodePng(string base64) => SKBitmap.Decode(Convert.FromBase64String(base64))
        ?? throw new Xunit.Sdk.XunitException("not a decodable PNG");

    private static string EmbeddedPng(string html) =>
        Regex.Match(html, "data:image/png;base64,([A-Za-z0-9+/=]+)") is { Success: true } m ? m.Groups[1].Value
        : throw new Xunit.Sdk.XunitException("no embedded PNG in the HTML");

    private static History SampleHistory()
    {
        var history = new History();
        for (var e = 1; e <= 3; e++)
        {
            history.Batches.Add(new BatchLoss(e - 0.5, 1.0 / e + 0.1));
            history.Epochs.Add(new EpochMetrics(e, 1.0 / e, 0.5 + 0.1 * e, 1.1 / e, 0.45 + 0.1 * e, 0.9, 0.1, 1000, TimeSpan.FromSeconds(1)));
        }
        return history;
    }

    [Fact]
    public void A_line_chart_is_a_static_png_that_upgrades_to_plotly()
    {
        var chart = LineChart.Loss(SampleHistory());
        var html = chart.ToDisplayString("text/html");
        using var png = DecodePng(EmbeddedPng(html));
        Assert.Equal(640, png.Width);
        Assert.Equal(360, png.Height);
        Assert.Contains("Plotly.newPlot('dv-", html);
        Assert.Contains("\"name\":\"test loss\"", html);
        Assert.Contains(LineChart.PlotlyUrl, html);
        // Where scripts cannot run, the <img> inside the chart's div is what remains.
        Assert.Matches("<div id=\"dv-[0-9a-f-]+\" style=\"width:640px;height:360px\"><img ", html);
        Assert.Equal("text/html", Formatter.GetPreferredMimeTypesFor(typeof(LineChart)).First());
    }

    [Fact]
    public void An_image_grid_of_real_digits_has_one_cell_per_image()
    {
        using var data = Datasets.MNIST(train: false, root: Path.Combine(RepoPaths.Root, "datasets"));
        var grid = ImageGrid.FromDataset(data, count: 16, columns: 8);
        using var png = DecodePng(grid.ToDisplayString("image/png"));
        // 8 columns of 72 px (caption width) + padding, 2 rows of 56 px images + 16 px captions.
        Assert.Equal(8 * (72 + 4) + 4, png.Width);
        Assert.Equal(2 * (56 + 16 + 4) + 4, png.Height);
        Assert.Contains("data:image/png;base64,", grid.ToDisplayString("text/html"));
    }

    [Fact]
    public void An_image_grid_of_real_photos_is_stored_at_the_thumbnail_size_it_is_shown()
    {
        using var data = Datasets.Imagenette(train: false, size: 224, root: RepoPaths.Samples("imagenette-sample"));
        var grid = ImageGrid.FromDataset(data, count: 12, columns: 6);
        using var png = DecodePng(grid.ToDisplayString("image/png"));
        // 224 px photos shrink to 112 px cells: 6 columns of 112 + padding, 2 rows of 112 px images + 16 px captions.
        Assert.Equal(6 * (ImageGrid.LargestShown + 4) + 4, png.Width);
        Assert.Equal(2 * (ImageGrid.LargestShown + 16 + 4) + 4, png.Height);
        // Shrunk by filtering, not by dropping pixels: the first cell is close to the photo averaged over 2x2 blocks.
        using var expected = torch.nn.functional.avg_pool2d(data.Images[..1].to_type(ScalarType.Float32), 2)[0];
        var e = expected.data<float>().ToArray();
        double sum = 0;
        for (var y = 0; y < ImageGrid.LargestShown; y++)
            for (var x = 0; x < ImageGrid.LargestShown; x++)
            {
                var pixel = png.GetPixel(4 + x, 4 + y);
                var at = y * ImageGrid.LargestShown + x;
                var plane = ImageGrid.LargestShown * ImageGrid.LargestShown;
                sum += Math.Abs(pixel.Red - e[at]) + Math.Abs(pixel.Green - e[plane + at]) + Math.Abs(pixel.Blue - e[2 * plane + at]);
            }
        var meanDifference = sum / (3.0 * ImageGrid.LargestShown * ImageGrid.LargestShown);
        Assert.True(meanDifference < 4, $"the thumbnail differs from the 2x2-averaged photo by {meanDifference:F1} levels on average");
    }

    [Fact]
    public void An_image_grid_of_a_dataset_takes_the_classes_in_turn()
    {
        // Imagenette's folders list one class after another: the sample's first eight test images are all tench.
        using var data = Datasets.Imagenette(train: false, size: 64, root: RepoPaths.Samples("imagenette-sample"));
        Assert.Single(data.Labels[..8].data<long>().ToArray().Distinct());
        var grid = ImageGrid.FromDataset(data, count: 12, columns: 6);
        Assert.Equal(data.ClassNames, grid.Captions!.Take(10));
        Assert.Equal(data.ClassNames.Take(2), grid.Captions!.Skip(10));
    }

    [Fact]
    public void Mistakes_shows_the_first_errors_of_every_class_captioned_predicted_true()
    {
        using var data = Datasets.Imagenette(train: false, size: 64, root: RepoPaths.Samples("imagenette-sample"));
        var labels = data.Labels.data<long>().ToArray();
        // Every image called the next class, except the first of each class (called right).
        var first = labels.Select((l, i) => i == 0 || labels[i - 1] != l).ToArray();
        using var predicted = torch.tensor(labels.Select((l, i) => first[i] ? l : (l + 1) % 10).ToArray());
        var grid = ImageGrid.Mistakes(data.Images, predicted, data.Labels, data.ClassNames, perClass: 2);
        // Two per class, in class order: the second and third image of each class, all wrong.
        Assert.Equal(20, grid.Captions!.Count);
        Assert.All(grid.Wrong!, Assert.True);
        for (var c = 0; c < 10; c++)
        {
            var expected = $"{data.ClassNames[(c + 1) % 10]} ({data.ClassNames[c]})";
            Assert.Equal(expected, grid.Captions[2 * c]);
            Assert.Equal(expected, grid.Captions[2 * c + 1]);
        }
        using var png = DecodePng(grid.ToDisplayString("image/png"));
        Assert.Equal(10 * (72 + 4) + 4, png.Width); // ten 64 px images a row, in cells as wide as a caption needs
        // No errors: an empty grid, not an exception.
        Assert.Empty(ImageGrid.Mistakes(data.Images, data.Labels, data.Labels, data.ClassNames).Captions!);
        Assert.Contains("must describe the same images", Assert.Throws<ArgumentException>(() => ImageGrid.Mistakes(data.Images[..5], predicted, data.Labels, data.ClassNames)).Message);
    }

    [Fact]
    public void A_confusion_matrix_counts_true_against_predicted()
    {
        using var predicted = torch.tensor(new long[] { 0, 1, 1, 2, 2, 2 });
        using var actual = torch.tensor(new long[] { 0, 1, 2, 2, 2, 0 });
        var matrix = Heatmap.ConfusionMatrix(predicted, actual, ["a", "b", "c"]);
        Assert.Equal(new double[,] { { 1, 0, 1 }, { 0, 1, 0 }, { 0, 1, 2 } }, matrix.Values);
        using var png = DecodePng(EmbeddedPng(matrix.ToHtml()));
        Assert.True(png.Width >= 360);
    }

    [Fact]
    public void Long_captions_break_into_lines_that_stay_inside_their_cell()
    {
        using var data = Datasets.Imagenette(train: false, size: 224, root: RepoPaths.Samples("imagenette-sample"));
        using var images = data.Images[..4];
        using var predicted = torch.tensor(new long[] { 0, 1, 4, 5 });
        using var actual = torch.tensor(new long[] { 0, 5, 4, 1 });
        var names = data.ClassNames;
        using var font = new SKFont(SKTypeface.Default, 11);
        // "English springer (French horn)" is wider than a 112 px cell: it breaks between words, each line fits.
        var caption = $"{names[1]} ({names[5]})";
        Assert.True(font.MeasureText(caption) > ImageGrid.LargestShown, caption);
        var lines = ImageGrid.CaptionLines(caption, font, ImageGrid.LargestShown);
        Assert.True(lines.Count >= 2, string.Join(" | ", lines));
        Assert.All(lines, l => Assert.True(font.MeasureText(l) <= ImageGrid.LargestShown, l));
        Assert.Equal(caption, string.Join(" ", lines));
        // A word wider than the cell is cut short, never drawn over the neighbour.
        var cut = ImageGrid.CaptionLines("Pneumonoultramicroscopicsilicovolcanoconiosis", font, 72);
        Assert.EndsWith("…", Assert.Single(cut));
        Assert.True(font.MeasureText(cut[0]) <= 72);
        // The grid makes room for the extra lines: taller than the same images with short captions.
        using var twoLines = DecodePng(ImageGrid.Predictions(images, predicted, actual, names, columns: 4).ToDisplayString("image/png"));
        using var oneLine = DecodePng(ImageGrid.Predictions(images, actual, actual, names, columns: 4).ToDisplayString("image/png"));
        Assert.Equal(oneLine.Width, twoLines.Width);
        Assert.True(twoLines.Height > oneLine.Height, $"{twoLines.Height} against {oneLine.Height}");
    }

    [Fact]
    public void A_long_title_is_broken_into_lines_that_fit_the_picture()
    {
        var title = "MobileNetV2, Imagenette test images: true (rows) vs predicted (columns), a title longer than the picture is wide";
        var style = new ScottPlot.Plot().Axes.Title.Label;
        Assert.True(TextWrapping.Width(title, style) > 500);
        var wrapped = TextWrapping.Title(title, style, 500);
        var lines = wrapped.Split('\n');
        Assert.True(lines.Length >= 2, wrapped);
        Assert.All(lines, l => Assert.True(TextWrapping.Width(l, style) <= 500, l));
        Assert.Equal(title, string.Join(" ", lines));
        Assert.Equal("short title", TextWrapping.Title("short title", style, 500));
        // The confusion matrix draws it in lines: its picture is as wide as before, and the whole title is kept.
        using var predicted = torch.tensor(new long[] { 0, 1, 2 });
        var matrix = Heatmap.ConfusionMatrix(predicted, predicted, ["a", "b", "c"], title);
        using var png = DecodePng(EmbeddedPng(matrix.ToHtml()));
        Assert.Equal(360, png.Width);
    }

    // True when a band of rows at the top of the picture (where the title is drawn) has ink in its outermost columns:
    // a title that runs past the edge of the picture, cut off there.
    private static bool TitleTouchesAnEdge(SKBitmap png, int bandHeight)
    {
        for (var y = 0; y < bandHeight; y++)
            foreach (var x in new[] { 0, 1, png.Width - 2, png.Width - 1 })
                if (png.GetPixel(x, y) is var p && p.Red + p.Green + p.Blue < 600) return true;
        return false;
    }

    [Fact]
    public void Chart_titles_stay_inside_the_picture_beside_a_legend_and_long_tick_labels()
    {
        // Centred over the data area, a long title ran past the left edge when a legend took room on the right.
        var history = SampleHistory();
        const string title = "ResNet-18 on Imagenette from scratch: training and validation accuracy per epoch";
        using var chart = DecodePng(EmbeddedPng(LineChart.Accuracy(history, title).ToHtml()));
        Assert.False(TitleTouchesAnEdge(chart, 40), "the line chart's title is cut off at an edge");
        var rates = Enumerable.Range(0, 20).Select(i => Math.Pow(10, -6 + i * 0.3)).ToList();
        var sweep = new LearningRateSweep(rates, rates.Select(r => 2.3 - Math.Log10(r / 1e-6) * 0.2 + (r > 0.1 ? 10 * r : 0)).ToList());
        Assert.NotNull(sweep.Suggestion);
        using var sweepChart = DecodePng(EmbeddedPng(LineChart.LearningRates(sweep, "Learning-rate finder on VGG16-BN with AdamW, batch 64, 200 steps").ToHtml()));
        Assert.False(TitleTouchesAnEdge(sweepChart, 40), "the finder chart's title is cut off at an edge");
        // A confusion matrix's long class names on the left move the centre of its data area to the right.
        string[] names = ["tench", "English springer", "cassette player", "chain saw", "church", "French horn", "garbage truck", "gas pump", "golf ball", "parachute"];
        using var labels = torch.arange(10);
        var matrix = Heatmap.ConfusionMatrix(labels, labels, names, "MobileNetV2, test images: true (rows) vs predicted (columns)");
        using var matrixPng = DecodePng(EmbeddedPng(matrix.ToHtml()));
        Assert.False(TitleTouchesAnEdge(matrixPng, 40), "the confusion matrix's title is cut off at an edge");
    }

    // Whether the picture shows ink of the plotted colour within a pixel or two of (x, y): the point or line is not
    // hidden under something drawn over it (a legend's white box).
    private static bool InkNear(SKBitmap png, float x, float y, Func<SKColor, bool> isInk)
    {
        for (var dy = -2; dy <= 2; dy++)
            for (var dx = -2; dx <= 2; dx++)
            {
                var (px, py) = ((int)Math.Round(x) + dx, (int)Math.Round(y) + dy);
                if (px >= 0 && py >= 0 && px < png.Width && py < png.Height && isInk(png.GetPixel(px, py))) return true;
            }
        return false;
    }

    private static bool Bluish(SKColor c) => c.Blue > 120 && c.Blue > c.Red + 40;

    [Fact]
    public void Legends_never_cover_the_data()
    {
        // A loss curve that ends low, as losses do: ScottPlot put a single line's legend inside, over that end.
        var xs = Enumerable.Range(1, 100).Select(i => (double)i).ToList();
        var chart = new LineChart("Training loss", "epoch", "loss", [new Series("train", xs, xs.Select(x => x == 1 ? 1.0 : 0.1).ToList())]);
        var plot = chart.Build();
        using (var png = SKBitmap.Decode(plot.GetImageBytes(chart.Width, chart.Height, ScottPlot.ImageFormat.Png)))
            for (var x = 10.0; x <= 100; x += 2)
            {
                var pixel = plot.GetPixel(new ScottPlot.Coordinates(x, 0.1));
                Assert.True(InkNear(png, pixel.X, pixel.Y, Bluish), $"the line at x = {x} is hidden (pixel {pixel.X:F0}, {pixel.Y:F0})");
            }
        // XOR's four clusters fill the corners, where ScottPlot put a scatter plot's legend.
        using var points = torch.tensor(new float[] { -1, -1, 1, 1, -1, 1, 1, -1, -0.9f, -1, 0.9f, 1, -0.9f, 1, 0.9f, -1 }, [8, 2]);
        using var labels = torch.tensor(new long[] { 0, 0, 1, 1, 0, 0, 1, 1 });
        var scatter = new ScatterPlot(points, labels, "XOR");
        var scatterPlot = scatter.Build();
        using var scatterPng = SKBitmap.Decode(scatterPlot.GetImageBytes(520, 440, ScottPlot.ImageFormat.Png));
        foreach (var (x, y) in new[] { (-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0) })
        {
            var pixel = scatterPlot.GetPixel(new ScottPlot.Coordinates(x, y));
            Assert.True(InkNear(scatterPng, pixel.X, pixel.Y, c => c.Red + c.Green + c.Blue < 600 && (Math.Abs(c.Red - c.Blue) > 60 || Math.Abs(c.Red - c.Green) > 60)),
                $"the point ({x}, {y}) is hidden");
        }
    }

    [Fact]
    public void Decision_regions_follow_the_classifier()
    {
        using var points = torch.tensor(new float[] { -1, -1, 1, 1, -1, 1, 1, -1 }, [4, 2]);
        using var labels = torch.tensor(new long[] { 0, 1, 0, 1 });
        var plot = new ScatterPlot(points, labels, "x > 0").WithDecisionRegions(g => (g[.., 0] > 0).to_type(ScalarType.Float32), resolution: 20);
        using var png = DecodePng(plot.ToDisplayString("image/png"));
        Assert.Equal(520, png.Width);
    }

    [Fact]
    public void A_regression_line_is_drawn_across_the_points()
    {
        using var points = torch.tensor(new float[] { -1, -3.5f, 0, -1, 1, 1.5f }, [3, 2]);
        var plain = new ScatterPlot(points, null, "y = 2.5x - 1");
        using var withoutLine = DecodePng(plain.ToDisplayString("image/png"));
        using var withLine = DecodePng(new ScatterPlot(points, null, "y = 2.5x - 1").WithLine("fit", 2.5, -1).ToDisplayString("image/png"));
        Assert.Equal(withoutLine.Width, withLine.Width);
        // The line adds coloured pixels the three points alone do not have.
        static int Coloured(SKBitmap b) => Enumerable.Range(0, b.Width * b.Height).Count(i => b.GetPixel(i % b.Width, i / b.Width) is var c && Math.Abs(c.Red - c.Blue) > 60);
        Assert.True(Coloured(withLine) > Coloured(withoutLine) + 200, $"{Coloured(withLine)} against {Coloured(withoutLine)}");
    }

    [Fact]
    public void A_learning_rate_sweep_is_charted_on_log_axes_with_its_suggestion()
    {
        var rates = Enumerable.Range(0, 20).Select(i => Math.Pow(10, -6 + i * 0.3)).ToList();
        var losses = rates.Select(r => 2.3 - Math.Log10(r / 1e-6) * 0.2 + (r > 0.1 ? 10 * r : 0)).ToList();
        var sweep = new LearningRateSweep(rates, losses);
        var chart = LineChart.LearningRates(sweep);
        Assert.True(chart.LogX);
        Assert.True(sweep.Descended);
        Assert.Equal(sweep.LowestLossRate / Math.Sqrt(10), sweep.Suggestion!.Value, 12);
        Assert.Equal((sweep.LowestLossRate / 10, sweep.LowestLossRate), sweep.SuggestedRange);
        Assert.Equal([sweep.Suggestion.Value, sweep.Suggestion.Value], chart.Series[1].X);
        Assert.Contains($"range {sweep.LowestLossRate / 10:G2} to {sweep.LowestLossRate:G2}", chart.Series[1].Name);
        // A curve that never falls below its start has no suggestion, and the chart no suggestion line.
        var flat = new LearningRateSweep(rates, rates.Select(r => 2.3 + r).ToList());
        Assert.Null(flat.Suggestion);
        Assert.Contains("no suggestion", flat.ToString());
        Assert.Single(LineChart.LearningRates(flat).Series);
        var html = chart.ToDisplayString("text/html");
        Assert.Contains("\"type\":\"log\"", html);
        using var png = DecodePng(EmbeddedPng(html));
        Assert.Equal(640, png.Width);
    }

    [Fact]
    public void Model_summary_lists_shapes_and_parameter_counts()
    {
        var lenet = Sequential(
            ("c1", Conv2d(1, 6, 5, padding: 2)), ("a1", Sigmoid()), ("p1", AvgPool2d(2)),
            ("c2", Conv2d(6, 16, 5)), ("a2", Sigmoid()), ("p2", AvgPool2d(2)),
            ("flatten", Flatten()), ("f1", Linear(400, 120)), ("a3", Sigmoid()), ("f2", Linear(120, 84)), ("a4", Sigmoid()), ("f3", Linear(84, 10)));
        var summary = ModelSummary.Of(lenet, [1, 1, 28, 28]);
        Assert.Equal(["c1", "a1", "p1", "c2", "a2", "p2", "flatten", "f1", "a3", "f2", "a4", "f3"], summary.Layers.Select(l => l.Name));
        Assert.Equal(new long[] { 1, 6, 28, 28 }, summary.Layers[0].OutputShape);
        Assert.Equal(new long[] { 1, 16, 5, 5 }, summary.Layers[5].OutputShape);
        Assert.Equal(156, summary.Layers[0].Parameters); // 6 x (5 x 5) + 6
        Assert.Equal(61706, summary.TotalParameters); // LeNet-5's well-known count
        Assert.Equal(61706 * 4, summary.ParameterBytes);
        Assert.Contains("Total parameters: 61,706", summary.ToString());
        Assert.Contains("<b>61,706</b>", summary.ToDisplayString("text/html"));
        // Multiply-adds: 6·28·28·25 + 16·10·10·150 + 400·120 + 120·84 + 84·10, LeNet-5's 0.42 M.
        Assert.Equal([117_600L, 0, 0, 240_000, 0, 0, 0, 48_000, 0, 10_080, 0, 840], summary.Layers.Select(l => l.MultiplyAdds));
        Assert.Equal(416_520, summary.TotalMultiplyAdds);
        Assert.Empty(summary.Uncounted);
        Assert.Contains("Multiply-adds: 416,520 (416.5 k)", summary.ToString());
        Assert.Contains("multiply-adds <b>416.5 k</b> · ", summary.ToDisplayString("text/html"));
    }

    [Fact]
    public void Multiply_adds_match_the_published_figures_of_torchvisions_networks_and_name_what_they_leave_out()
    {
        // At 224 px: ResNet-18 1.81 G, VGG-16 15.5 G, MobileNetV2 (depthwise convolutions, one filter weight per input
        // channel of its group) 0.30 G, the figures their papers and the usual counters give.
        foreach (var (name, create, low, high) in new (string, Func<Module<Tensor, Tensor>>, double, double)[]
        {
            ("resnet18", () => torchvision.models.resnet18(), 1.80e9, 1.83e9),
            ("vgg16", () => torchvision.models.vgg16(), 15.4e9, 15.6e9),
            ("mobilenet_v2", () => torchvision.models.mobilenet_v2(), 0.29e9, 0.32e9),
        })
        {
            using var model = create();
            var one = ModelSummary.Of(model, [1, 3, 224, 224]);
            Assert.InRange(one.TotalMultiplyAdds, low, high);
            Assert.Empty(one.Uncounted);
            // A batch of two computes twice as much.
            if (name == "resnet18") Assert.Equal(2 * one.TotalMultiplyAdds, ModelSummary.Of(model, [2, 3, 224, 224]).TotalMultiplyAdds);
        }
        // The ViT of notebook 12 (65 tokens of width 128, 6 blocks): per block the projection to queries, keys and values
        // 65·128·384, scores and weighted sum 2·65·65·128, the output projection 65·128·128, the MLP 2·65·128·256; then the
        // 4×4 patch convolution 64·128·48 and the head on the class token 128·10.
        using var vit = Zoo.vit_cifar();
        var vitSummary = ModelSummary.Of(vit, [1, 3, 32, 32]);
        Assert.Equal(6 * (65L * 128 * 384 + 2 * 65 * 65 * 128 + 65 * 128 * 128 + 2 * 65 * 128 * 256) + 64 * 128 * 48 + 128 * 10, vitSummary.TotalMultiplyAdds);
        Assert.Empty(vitSummary.Uncounted);
        Assert.Equal(6, vitSummary.Layers.Count(l => l.Type == "SelfAttention"));
        // Each attention's row comes before its output projection's, in the order they start.
        var firstAttention = vitSummary.Layers.ToList().FindIndex(l => l.Type == "SelfAttention");
        Assert.EndsWith("out_proj", vitSummary.Layers[firstAttention + 1].Name);
        // torch's MultiheadAttention has another signature: the summary cannot see its calls, and says so.
        using var withTorchAttention = new WithTorchAttention();
        Assert.Equal(["MultiheadAttention"], ModelSummary.Of(withTorchAttention, [1, 5, 8]).Uncounted);
        // A layer with weights whose cost is not counted is named, and the total says it is a lower bound.
        var prelu = ModelSummary.Of(Sequential(("conv", Conv2d(3, 8, 3)), ("bn", BatchNorm2d(8)), ("act", PReLU(1))), [1, 3, 10, 10]);
        Assert.Equal(8 * 8 * 8 * 27, prelu.TotalMultiplyAdds);
        Assert.Equal(["PReLU"], prelu.Uncounted);
        Assert.Contains("Multiply-adds: 13,824 (13.8 k), not counting PReLU", prelu.ToString());
        // Convolutions of each dimension count through their common base class; a transposed convolution derives from
        // it too, but its cost goes per input element, so it is named, not counted as a convolution.
        Assert.Equal(4 * 8 * (2 * 3), ModelSummary.Of(Sequential(("c", Conv1d(2, 4, 3))), [1, 2, 10]).TotalMultiplyAdds);
        Assert.Equal(4 * 27 * (2 * 27), ModelSummary.Of(Sequential(("c", Conv3d(2, 4, 3))), [1, 2, 5, 5, 5]).TotalMultiplyAdds);
        var transposed = ModelSummary.Of(Sequential(("up", ConvTranspose2d(4, 2, 2, stride: 2))), [1, 4, 3, 3]);
        Assert.Equal(0, transposed.TotalMultiplyAdds);
        Assert.Equal(["ConvTranspose2d"], transposed.Uncounted);
        Assert.Equal("1.81 G", ModelSummary.Short(1_814_000_000));
        Assert.Equal("999", ModelSummary.Short(999));
        Assert.Equal("1.0 M", ModelSummary.Short(999_950));
    }

    /// <summary>A layer holding torch's MultiheadAttention (whose forward takes queries, keys and values).</summary>
    private sealed class WithTorchAttention : Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.MultiheadAttention attention = MultiheadAttention(8, 2);
        private readonly Module<Tensor, Tensor> after = Linear(8, 8);

        public WithTorchAttention() : base(nameof(WithTorchAttention)) => RegisterComponents();

        public override Tensor forward(Tensor x) => after.call(attention.call(x, x, x, null, false, null).Item1);
    }

    [Fact]
    public void Training_progress_renders_as_a_bar_with_its_chart_and_ends_as_its_line()
    {
        var history = new DeepVision.Training.History();
        history.Epochs.Add(new DeepVision.Training.EpochMetrics(1, 1.2, 0.6, 1.1, 0.62, 0.9, 0.01, 1000, TimeSpan.FromSeconds(3)));
        var chart = LineChart.Accuracy(history, "accuracy");
        var running = new DeepVision.Training.TrainingStatus("epoch 1/3 · batch 5/10 <loss>", 0.25, false, chart).ToDisplayString("text/html");
        Assert.Contains("<progress value=\"0.250\"", running);
        Assert.Contains("&lt;loss&gt;", running);           // the line is text, encoded
        Assert.Contains("<img src=\"data:image/png;base64,", running);  // the chart under the bar (its static picture, at least)
        Assert.Contains("\"accuracy\"", running);
        var done = new DeepVision.Training.TrainingStatus("trained 3 epochs", 1, true, null).ToDisplayString("text/html");
        Assert.DoesNotContain("<progress", done);
        Assert.Contains("trained 3 epochs", done);
    }

    [Fact]
    public void Dataframes_format_as_html_tables_without_the_kernel()
    {
        _ = Tables.MaxRows; // loads the helpers, whose module initializer registers the formatter
        var frame = new DataFrame(new StringDataFrameColumn("class", ["cat", "dog"]), new PrimitiveDataFrameColumn<double>("accuracy", [0.91, 0.875]));
        var html = frame.ToDisplayString("text/html");
        Assert.StartsWith("<table><thead><tr><th></th><th>class</th><th>accuracy</th>", html);
        Assert.Contains("<td>dog</td><td>0.875</td>", html);
    }
}
