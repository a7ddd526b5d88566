using DeepVision.Models;
using DeepVision.Tests.Models;
using DeepVision.Training;
using DeepVision.Weights;
using TorchSharp.Modules;

namespace DeepVision.Tests.Weights;

/// <summary>Loading by name (strict reports, skipping the head, dtype conversion) and the transfer-learning API.</summary>
[Collection(ParityCollection.Name)]
public class StateDictTests
{
    [Fact]
    public void A_strict_load_reports_every_difference_at_once_and_changes_nothing()
    {
        using var source = torchvision.models.resnet18(num_classes: 10);
        using var target = torchvision.models.resnet18();
        var weights = source.state_dict().Where(kv => !kv.Key.StartsWith("layer4.1.", StringComparison.Ordinal)).ToDictionary();
        weights["extra.weight"] = ones(3);
        var before = target.state_dict()["conv1.weight"].clone();

        var error = Assert.Throws<StateDictMismatchException>(() => StateDict.Load(target, weights));
        Assert.Contains("layer4.1.conv1.weight", error.Report.Missing);
        Assert.Equal(["extra.weight"], error.Report.Unexpected);
        Assert.Equal(2, error.Report.ShapeMismatched.Count); // fc.weight and fc.bias: 10 classes, not 1000
        Assert.Contains("fc.weight: file [10, 512], model [1000, 512]", error.Message);
        Assert.Contains("extra.weight", error.Message);
        Assert.Contains("skip:", error.Message);
        Assert.True(before.IsSame(target.state_dict()["conv1.weight"]), "a failed strict load changed the model");
    }

    [Fact]
    public void Skipping_the_head_loads_the_rest_and_converts_dtype()
    {
        using var source = torchvision.models.resnet18(num_classes: 10);
        var weights = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64));
        using var target = torchvision.models.resnet18();
        var report = StateDict.Load(target, weights, skip: "fc");
        Assert.Equal(["fc.weight", "fc.bias"], report.Skipped);
        Assert.Empty(report.Missing);
        Assert.Equal(ScalarType.Float32, target.state_dict()["conv1.weight"].dtype);
        Assert.True(source.state_dict()["layer3.0.conv2.weight"].IsSame(target.state_dict()["layer3.0.conv2.weight"]));

        var lenient = StateDict.Load(torchvision.models.resnet18(), weights, strict: false);
        Assert.Equal(2, lenient.ShapeMismatched.Count);
        Assert.False(lenient.IsComplete);
    }

    [Fact]
    public void Our_own_checkpoints_round_trip_through_safetensors()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "lenet.safetensors");
        using var model = Zoo.lenet5(batchNorm: true);
        StateDict.Save(model, path);
        using var copy = Zoo.lenet5(batchNorm: true);
        var report = StateDict.Load(copy, path);
        Assert.True(report.IsComplete);
        foreach (var (name, tensor) in model.state_dict())
            Assert.True(tensor.IsSame(copy.state_dict()[name]), name);
    }

    /// <summary>The README's example: torchvision-layout weights into TorchVision's vgg16(), then a 10-class head.</summary>
    [Fact]
    public void Vgg16_takes_a_state_dict_and_a_ten_class_head()
    {
        Dictionary<string, Tensor> imagenetWeights;
        using (var pretrained = torchvision.models.vgg16()) // stands in for PyTorchFile.ReadStateDict("vgg16-397923af.pth")
            imagenetWeights = pretrained.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        using var model = torchvision.models.vgg16();
        var report = StateDict.Load(model, imagenetWeights);
        Assert.True(report.IsComplete, report.ToString());
        Assert.True(imagenetWeights["features.28.weight"].IsSame(model.state_dict()["features.28.weight"]));

        Transfer.Freeze(model, "features");
        Transfer.ReplaceHead(model, "classifier", nn.Sequential(
            ("0", nn.Linear(25088, 4096)), ("1", nn.ReLU()), ("2", nn.Dropout(0.5)),
            ("3", nn.Linear(4096, 4096)), ("4", nn.ReLU()), ("5", nn.Dropout(0.5)),
            ("6", nn.Linear(4096, 10))));
        foreach (var t in imagenetWeights.Values) t.Dispose();

        Assert.Equal([10L, 4096], model.state_dict()["classifier.6.weight"].shape);
        Assert.Equal(138_357_544L - 1000 * 4097 + 10 * 4097, model.ParameterCount());
        Assert.Equal(25088L * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 10 + 10, model.TrainableParameterCount());

        model.eval();
        using var noGrad = no_grad();
        using var logits = model.call(randn(1, 3, 224, 224));
        Assert.Equal([1L, 10], logits.shape);
    }

    [Fact]
    public void Freezing_and_parameter_groups_train_only_what_they_should()
    {
        using var model = Zoo.lenet5();
        Assert.Equal(61_706L, model.ParameterCount());
        var frozen = Transfer.Freeze(model, "features");
        Assert.Equal(6L * 25 + 6 + 16 * 6 * 25 + 16, frozen);
        Assert.Equal(61_706L - frozen, model.TrainableParameterCount());
        var error = Assert.Throws<ArgumentException>(() => Transfer.Freeze(model, "feature"));
        Assert.Contains("features, classifier", error.Message);

        Transfer.Unfreeze(model, "features.3");
        var groups = Transfer.Groups(model, ("features", 1e-3), ("classifier", 1e-1));
        Assert.Equal(16L * 6 * 25 + 16, groups[0].Count);
        Assert.Throws<ArgumentException>(() => Transfer.Groups(model, ("classifier", 1e-1))); // features.3 would be left out

        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var optimizer = Transfer.Sgd(groups, momentum: 0.0);
        Assert.Equal([1e-3, 1e-1], optimizer.ParamGroups.Select(g => g.LearningRate));
        model.train();
        using var loss = nn.functional.cross_entropy(model.call(randn(8, 1, 28, 28)), randint(0, 10, [8]));
        loss.backward();
        optimizer.step();
        bool Changed(string name) => !before[name].IsSame(model.state_dict()[name]);
        Assert.False(Changed("features.0.weight"));
        Assert.True(Changed("features.3.weight"));
        Assert.True(Changed("classifier.5.weight"));
        // The step's size follows each group's rate: features.3 moved by 1e-3 x gradient.
        var grad = model.named_parameters().Single(p => p.name == "features.3.weight").parameter.grad!;
        var moved = before["features.3.weight"] - model.state_dict()["features.3.weight"];
        Assert.True((moved - grad * 1e-3).abs().max().item<float>() < 1e-7);
    }

    [Fact]
    public void Replacing_a_head_of_torchvisions_resnet18_rewires_forward_and_state_dict()
    {
        using var model = torchvision.models.resnet18();
        Transfer.Freeze(model);
        Transfer.ReplaceHead(model, "fc", nn.Linear(512, 7));
        Assert.Equal(512L * 7 + 7, model.TrainableParameterCount());
        Assert.Equal([7L, 512], model.state_dict()["fc.weight"].shape);
        model.eval();
        using var noGrad = no_grad();
        using var logits = model.call(randn(2, 3, 64, 64));
        Assert.Equal([2L, 7], logits.shape);
    }

    [Fact]
    public void Heads_of_the_courses_own_models_and_mobilenet_v2_are_replaced_the_same_way()
    {
        using var mobilenet = torchvision.models.mobilenet_v2();
        Transfer.ReplaceHead(mobilenet, "classifier", nn.Sequential(("0", nn.Dropout(0.2)), ("1", nn.Linear(1280, 3))));
        using var vit = Zoo.vit_cifar(layers: 1, hiddenDim: 32, mlpDim: 64, heads: 2);
        Transfer.ReplaceHead(vit, "heads", nn.Sequential(("head", nn.Linear(32, 3))));
        using var noGrad = no_grad();
        mobilenet.eval();
        vit.eval();
        Assert.Equal([1L, 3], mobilenet.call(randn(1, 3, 64, 64)).shape);
        Assert.Equal([1L, 3], vit.call(randn(1, 3, 32, 32)).shape);
        Assert.Equal([3L, 1280], mobilenet.state_dict()["classifier.1.weight"].shape);

        var error = Assert.Throws<ArgumentException>(() => Transfer.ReplaceHead(mobilenet, "fc", nn.Linear(1280, 3)));
        Assert.Contains("no replaceable child module named \"fc\"; its children are ", error.Message);
        Assert.Contains("classifier", error.Message);
    }
}
