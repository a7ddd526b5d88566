using System.Globalization;
using System.Text;

namespace DeepVision.Models;

/// <summary>
/// One layer of a <see cref="ModelSummary"/>: its name, type, output shape, own parameters, and the multiply-adds it
/// computed for the summary's input (convolutions, linear layers and the helpers' self-attention; 0 for the others,
/// see <see cref="ModelSummary.TotalMultiplyAdds"/> and <see cref="ModelSummary.Uncounted"/>).
/// </summary>
public sealed record LayerSummary(string Name, string Type, long[] OutputShape, long Parameters, long TrainableParameters, long MultiplyAdds = 0);

/// <summary>
/// A torchsummary-style table: each leaf layer in the order it runs, with its output shape, parameter count and
/// multiply-adds (torchinfo's "mult-adds"); the totals, and the memory the parameters take. Display it (<c>DeepVision.Plots</c> renders it as a table), or print its <see cref="ToString"/>.
/// </summary>
public sealed class ModelSummary
{
    private ModelSummary(string model, long[] inputShape, IReadOnlyList<LayerSummary> layers, long total, long trainable, long parameterBytes, long bufferBytes,
        IReadOnlyList<string> unseen)
    {
        Uncounted = [.. layers.Where(l => l.Parameters > 0 && l.MultiplyAdds == 0 && !IsNormalization(l.Type)).Select(l => l.Type).Concat(unseen).Distinct()];
        Model = model;
        InputShape = inputShape;
        Layers = layers;
        TotalParameters = total;
        TrainableParameters = trainable;
        ParameterBytes = parameterBytes;
        BufferBytes = bufferBytes;
    }

    /// <summary>The model's type name.</summary>
    public string Model { get; }
    /// <summary>The input the summary ran with, batch dimension included.</summary>
    public long[] InputShape { get; }
    /// <summary>Leaf layers in execution order.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }
    /// <summary>All parameters of the model.</summary>
    public long TotalParameters { get; }
    /// <summary>Parameters with requires_grad.</summary>
    public long TrainableParameters { get; }
    /// <summary>Bytes the parameters take.</summary>
    public long ParameterBytes { get; }
    /// <summary>Bytes the buffers (batch-norm statistics) take.</summary>
    public long BufferBytes { get; }
    /// <summary>
    /// The multiply-adds of the convolutions, linear layers and the helpers' attention for the whole input (batch
    /// included), the count papers quote: a convolution computes one per output element and weight of its filter
    /// (input channels / groups × kernel size), a linear layer one per output element and input feature, and
    /// <see cref="VisionTransformer.SelfAttention"/> its input projection (3 × width per token and width) plus the
    /// scores and their weighted sum (2 × tokens per token and width; its output projection is a linear layer of its
    /// own). Normalization, activations and pooling are left out. Training costs about three times this per image
    /// (forward, and two products backward); a FLOP count is twice it.
    /// </summary>
    public long TotalMultiplyAdds => Layers.Sum(l => l.MultiplyAdds);
    /// <summary>The types of layers with weights whose multiply-adds are not counted (a PReLU, a transposed convolution
    /// that ran; torch's MultiheadAttention in the model, whose calls the summary cannot hook): where this is not empty,
    /// <see cref="TotalMultiplyAdds"/> is a lower bound. Not listed: normalization layers (their weights scale and shift
    /// each element), and weights held by a module with children other than the ViT's attention, which are taken to be
    /// added (a class token, a position embedding).</summary>
    public IReadOnlyList<string> Uncounted { get; }

    /// <summary>
    /// Runs a zero input of <paramref name="inputShape"/> (with the batch dimension, e.g. [1, 3, 224, 224]) through the
    /// model in eval mode without gradients, recording every leaf layer's output (and each
    /// <see cref="VisionTransformer.SelfAttention"/>'s, whose own weights are its input projection).
    /// </summary>
    public static ModelSummary Of(nn.Module<Tensor, Tensor> model, long[] inputShape, Device? device = null)
    {
        var layers = new List<LayerSummary>();
        var removers = new List<Action>();
        var unseen = new List<string>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not nn.Module<Tensor, Tensor> leaf)
            {
                // A layer of another signature (torch's MultiheadAttention) runs unseen: its weights' cost is not counted.
                if (module.parameters(recurse: false).Any()) unseen.Add(module.GetType().Name);
                continue;
            }
            if (module.children().Any() && module is not VisionTransformer.SelfAttention) continue;
            var own = leaf.parameters(recurse: false).ToList();
            var count = own.Sum(p => p.numel());
            var trainable = own.Where(p => p.requires_grad).Sum(p => p.numel());
            var layerName = name;
            // A layer's row goes where it started, before the rows of what it calls (SelfAttention's output projection).
            var position = new Stack<int>();
            var before = leaf.register_forward_pre_hook((m, input) => { position.Push(layers.Count); return input; });
            var after = leaf.register_forward_hook((m, input, output) =>
            {
                layers.Insert(position.Pop(), new LayerSummary(layerName, m.GetType().Name, output.shape.ToArray(), count, trainable, MultiplyAdds(m, output)));
                return output;
            });
            removers.Add(before.remove);
            removers.Add(after.remove);
        }
        try
        {
            // Only shapes matter here, but oneDNN fixes its instruction set at its first computation (Devices.OneDnnConvolutions).
            Devices.OneDnnConvolutions.EnsureCheckedAndSaid();
            using var mode = ModelMode.Evaluating(model);   // and back, frozen batch normalization staying in eval
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var parameter = model.parameters().FirstOrDefault();
            var input = torch.zeros(inputShape, device: device ?? parameter?.device ?? torch.CPU, dtype: parameter?.dtype ?? ScalarType.Float32);
            model.forward(input);
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return new ModelSummary(model.GetType().Name, inputShape, layers, model.ParameterCount(), model.TrainableParameterCount(),
            model.parameters().Sum(p => p.numel() * p.ElementSize), model.buffers().Sum(b => b.numel() * b.ElementSize), unseen);
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    // A filter's weights (input channels / groups × kernel) per output element; a linear layer's input features.
    private static long MultiplyAdds(nn.Module layer, Tensor output) => layer switch
    {
        // Transposed convolutions derive from Convolution, but their cost is per input element: named as uncounted.
        TorchSharp.Modules.Convolution conv when conv is not TorchSharp.Modules.ConvolutionTranspose && conv.weight is { } w
            => output.numel() * (w.numel() / w.shape[0]),
        TorchSharp.Modules.Linear linear => output.numel() * linear.weight!.shape[1],
        // [batch, tokens, width] out: the projection to queries, keys and values, then scores and their weighted sum.
        VisionTransformer.SelfAttention => output.numel() * (3 * output.shape[^1] + 2 * output.shape[^2]),
        _ => 0,
    };

    // Normalization layers' weights scale and shift each element: left out of the count on purpose.
    private static bool IsNormalization(string type) => type.Contains("Norm", StringComparison.Ordinal);

    /// <summary>A count of multiply-adds as "1.81 G", "412.2 M" or "3.5 k".</summary>
    public static string Short(long n) => n switch
    {
        // Each unit from where the one below would round to 1000 (999,950 is "1.0 M", not "1000.0 k").
        >= 999_950_000 => (n / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " G",
        >= 999_950 => (n / 1e6).ToString("F1", CultureInfo.InvariantCulture) + " M",
        >= 1_000 => (n / 1e3).ToString("F1", CultureInfo.InvariantCulture) + " k",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes as "12.3 MB".</summary>
    public static string Megabytes(long bytes) => (bytes / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " MB";

    /// <summary>Where some layers' multiply-adds are not counted, which: empty otherwise.</summary>
    public string UncountedNote => Uncounted.Count == 0 ? "" : $", not counting {string.Join(", ", Uncounted)}";

    /// <summary>The summary as a text table.</summary>
    public override string ToString()
    {
        var rows = Layers.Select(l => (Name: $"{l.Name} ({l.Type})", Shape: Sizes.ShapeText(l.OutputShape), Params: N(l.Parameters), Adds: N(l.MultiplyAdds))).ToList();
        var w0 = Math.Max(5, rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max());
        var w1 = Math.Max(12, rows.Select(r => r.Shape.Length).DefaultIfEmpty(0).Max());
        var w2 = Math.Max(7, rows.Select(r => r.Params.Length).DefaultIfEmpty(0).Max());
        var w3 = Math.Max(9, rows.Select(r => r.Adds.Length).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder();
        var rule = new string('-', w0 + w1 + w2 + w3 + 6);
        sb.AppendLine($"{"Layer".PadRight(w0)}  {"Output shape".PadRight(w1)}  {"Param #".PadLeft(w2)}  {"Mult-adds".PadLeft(w3)}");
        sb.AppendLine(rule);
        foreach (var r in rows) sb.AppendLine($"{r.Name.PadRight(w0)}  {r.Shape.PadRight(w1)}  {r.Params.PadLeft(w2)}  {r.Adds.PadLeft(w3)}");
        sb.AppendLine(rule);
        sb.AppendLine($"Input: {Sizes.ShapeText(InputShape)}");
        sb.AppendLine($"Total parameters: {N(TotalParameters)}");
        sb.AppendLine($"Trainable parameters: {N(TrainableParameters)}");
        sb.AppendLine($"Non-trainable parameters: {N(TotalParameters - TrainableParameters)}");
        sb.AppendLine($"Multiply-adds: {N(TotalMultiplyAdds)} ({Short(TotalMultiplyAdds)}){UncountedNote}");
        sb.Append($"Parameter memory: {Megabytes(ParameterBytes)} (+ {Megabytes(BufferBytes)} of buffers)");
        return sb.ToString();
    }
}
