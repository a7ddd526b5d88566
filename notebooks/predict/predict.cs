#:package TorchSharp-cpu@0.107.0
#:package DeepVision@0.15.0
#:property ManagePackageVersionsCentrally=false
#:property Nullable=enable
#:property TreatWarningsAsErrors=true
#:property UseAppHost=false

// Classifies a photo with the CIFAR-10 network that notebook 06 trained and saved: a whole deployment in one file.
//
//   dotnet run predict.cs -- MODEL.safetensors PHOTO.jpg [PHOTO.jpg ...]
//
// The model file holds the weights and, as metadata, what is needed to rebuild the network around them: its width
// and its class names. The photo is resized (shorter side to 32 pixels, centre crop) and normalized exactly as the
// training images were. Packages come from notebooks/nuget.config (the helpers that ./build.sh build packs).

using DeepVision.Data;
using DeepVision.Models;
using DeepVision.Weights;
using TorchSharp;
using static TorchSharp.torch;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: dotnet run predict.cs -- MODEL.safetensors PHOTO.jpg [PHOTO.jpg ...]");
    return 2;
}
try
{
    var modelPath = args[0];
    if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: no such model file; notebook 06 saves one to artifacts/models/.");
    var (weights, metadata) = SafeTensors.ReadWithMetadata(modelPath);
    foreach (var t in weights.Values) t.Dispose();
    if (!metadata.TryGetValue("width", out var widthText) || !int.TryParse(widthText, out var width) || !metadata.TryGetValue("classes", out var classText))
        throw new InvalidDataException($"{modelPath}: the metadata lacks 'width' or 'classes'; save the model as notebook 06 does.");
    var classes = classText.Split(',');
    var model = Zoo.cifar_net(classes.Length, width);
    StateDict.Load(model, modelPath);
    model.eval();
    var normalize = Transforms.Normalize(Transforms.Cifar10Mean, Transforms.Cifar10Std);
    foreach (var photo in args.Skip(1))
    {
        using var scope = NewDisposeScope();
        var pixels = ImageCodec.DecodeSquare(photo, 32);
        var image = tensor(pixels, [1, 3, 32, 32]).to_type(ScalarType.Float32) / 255;
        using var noGrad = no_grad();
        var probabilities = nn.functional.softmax(model.call(normalize(image)), 1)[0];
        var (top, index) = probabilities.topk(3);
        var ranked = Enumerable.Range(0, 3).Select(k => $"{classes[index[k].item<long>()]} {top[k].item<float>():P1}");
        Console.WriteLine($"{Path.GetFileName(photo)}: {string.Join(", ", ranked)}");
    }
    return 0;
}
catch (Exception e) when (e is IOException or InvalidDataException or DatasetFormatException or StateDictMismatchException or ArgumentException)
{
    Console.Error.WriteLine($"predict: {e.Message}");
    return 1;
}
