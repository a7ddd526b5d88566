using DeepVision.Data;
using DeepVision.Models;
using DeepVision.Weights;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace DeepVision.Tests.Models;

/// <summary>
/// The pretrained ResNet of Microsoft.ML.DnnImageFeaturizer.ResNet18 against the real thing: the same photos through
/// ONNX Runtime (the package's two ONNX graphs) and through our network with our preprocessing.
/// </summary>
[Collection(ParityCollection.Name)]
public class ImageNetResNetTests
{
    private static float[] Run(InferenceSession session, string input, float[] data, int[] shape)
    {
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor(data, shape))]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    [Fact]
    public void Features_of_real_photos_match_onnx_runtime_within_1e_4()
    {
        // Eight real photos of the Imagenette sample (validation images of eight classes), at 224 px.
        using var photos = Datasets.Imagenette(train: false, size: ImageNetResNet.ImageSize, root: RepoPaths.Samples("imagenette-sample"), perClass: 1);
        using var batch = photos.Images[..8].to_type(ScalarType.Float32) / 255f;

        using var model = ImageNetResNet.Load();
        var preprocess = ImageNetResNet.Preprocess();
        using var noGrad = no_grad();
        using var ours = model.call(preprocess(batch));
        Assert.Equal([8L, ImageNetResNet.FeatureCount], ours.shape);

        using var prep = new InferenceSession(ImageNetResNet.PreprocessFile);
        using var net = new InferenceSession(ImageNetResNet.ModelFile);
        var reference = new List<float>();
        for (var i = 0; i < 8; i++)
        {
            var rgb = (batch[i] * 255f).contiguous().data<float>().ToArray();   // the package's input: RGB 0-255
            var prepared = Run(prep, prep.InputMetadata.Keys.Single(), rgb, [1, 3, 224, 224]);
            reference.AddRange(Run(net, net.InputMetadata.Keys.Single(), prepared, [1, 3, 224, 224]));
        }
        using var expected = torch.tensor(reference.ToArray()).reshape(8, ImageNetResNet.FeatureCount);
        var error = (ours - expected).abs().max().item<float>() / expected.abs().max().item<float>();
        Assert.True(error <= 1e-4, $"features differ from ONNX Runtime's by {error:E2} of the largest feature");
        // Real features, not zeros: the photos differ from each other.
        Assert.True((expected[0] - expected[1]).abs().max().item<float>() > 0.1f);
    }

    [Fact]
    public void The_network_has_torchvisions_names_and_16_million_parameters()
    {
        using var model = ImageNetResNet.Load();
        var names = model.state_dict().Keys.ToList();
        Assert.Contains("conv1.weight", names);
        Assert.Contains("layer2.0.downsample.0.weight", names);
        Assert.Contains("layer4.2.bn2.running_var", names);
        Assert.DoesNotContain(names, n => n.StartsWith("fc.", StringComparison.Ordinal));
        // resnet18 without its fc has 11.18M; the third block of layer4 adds 4.72M.
        Assert.Equal(15.9, Math.Round(model.ParameterCount() / 1e6, 1));
    }

    [Fact]
    public void Missing_damaged_and_foreign_files_are_named_in_clear_errors()
    {
        using var folder = new TempFolder();
        var missing = Path.Combine(folder.Path, "nowhere", "ResNet18.onnx");
        var error = Assert.Throws<FileNotFoundException>(() => ImageNetResNet.Load(missing));
        Assert.Contains(missing, error.Message);
        Assert.Contains("./build.sh build", error.Message);

        var bytes = File.ReadAllBytes(ImageNetResNet.ModelFile);
        var truncated = Path.Combine(folder.Path, "truncated.onnx");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        var damaged = Assert.Throws<InvalidDataException>(() => ImageNetResNet.Load(truncated));
        Assert.Contains("truncated.onnx", damaged.Message);

        var garbage = Path.Combine(folder.Path, "garbage.onnx");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray());
        Assert.Contains("garbage.onnx", Assert.Throws<InvalidDataException>(() => ImageNetResNet.Load(garbage)).Message);

        // A real ONNX graph of other layers: the preprocessing graph is not a ResNet.
        var foreign = Assert.Throws<InvalidDataException>(() => ImageNetResNet.Load(ImageNetResNet.PreprocessFile));
        Assert.Contains("ResNetPreprocess.onnx", foreign.Message);
        Assert.Contains("Split", foreign.Message);

        var preprocess = ImageNetResNet.Preprocess();
        Assert.Contains("Transforms.Resize(224)", Assert.Throws<ArgumentException>(() => preprocess(zeros(1, 3, 32, 32))).Message);
    }

    [Fact]
    public void A_head_on_a_folder_of_own_photos_recognises_a_new_photo()
    {
        // Notebook 09's "your own photos" on a folder made from the Imagenette sample: three classes of 12 photos.
        using var folder = new TempFolder();
        var sample = RepoPaths.Samples("imagenette-sample");
        var classes = new[] { ("n01440764", "tench"), ("n03028079", "church"), ("n03888257", "parachute") };
        foreach (var (wnid, name) in classes)
        {
            Directory.CreateDirectory(Path.Combine(folder.Path, name));
            foreach (var file in Directory.GetFiles(Path.Combine(sample, "train", wnid)).Order().Take(12))
                File.Copy(file, Path.Combine(folder.Path, name, Path.GetFileName(file)));
        }
        using var photos = ImageFolder.Load(folder.Path, ImageNetResNet.ImageSize);
        Assert.Equal(["church", "parachute", "tench"], photos.ClassNames);

        torch.manual_seed(0);
        using var backbone = ImageNetResNet.Load();
        var preprocess = ImageNetResNet.Preprocess();
        Tensor Features(Tensor images)
        {
            using var noGrad = no_grad();
            return backbone.call(preprocess(images.to_type(ScalarType.Float32) / 255f));
        }
        using var features = Features(photos.Images);
        using var head = nn.Linear(ImageNetResNet.FeatureCount, 3);
        using var optimizer = optim.Adam(head.parameters(), 1e-3);
        for (var step = 0; step < 200; step++)
        {
            optimizer.zero_grad();
            using var loss = nn.functional.cross_entropy(head.call(features), photos.Labels);
            loss.backward();
            optimizer.step();
        }
        // Validation photos the head has never seen, one per class.
        foreach (var (wnid, name) in classes)
        {
            var file = Directory.GetFiles(Path.Combine(sample, "val", wnid)).Order().First();
            using var pixels = torch.tensor(ImageCodec.DecodeSquare(file, ImageNetResNet.ImageSize)).reshape(1, 3, ImageNetResNet.ImageSize, ImageNetResNet.ImageSize);
            using var newFeatures = Features(pixels);
            using var noGrad = no_grad();
            using var probabilities = torch.softmax(head.call(newFeatures), 1);
            var predicted = photos.ClassNames[(int)probabilities.argmax(1).item<long>()];
            Assert.Equal(name, predicted);
            Assert.True(probabilities.max().item<float>() > 0.8f, $"{name}: only {probabilities.max().item<float>():P0} sure");
        }
    }
}
