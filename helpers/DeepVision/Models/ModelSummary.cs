using System.Globalization;
using System.Text;

namespace DeepVision.Models;

/// <summary>One layer of a <see cref="ModelSummary"/>: its name, type, output shape and own parameters.</summary>
public sealed record LayerSummary(string Name, string Type, long[] OutputShape, long Parameters, long TrainableParameters);

/// <summary>
/// A torchsummary-style table: each leaf layer in the order it runs, with its output shape and parameter count;
/// the totals, and the memory the parameters take. Display it (<c>DeepVision.Plots</c> renders it as a table), or print its <see cref="ToString"/>.
/// </summary>
public sealed class ModelSummary
{
    private ModelSummary(string model, long[] inputShape, IReadOnlyList<LayerSummary> layers, long total, long trainable, long parameterBytes, long bufferBytes)
    {
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
    /// Runs a zero input of <paramref name="inputShape"/> (with the batch dimension, e.g. [1, 3, 224, 224]) through the
    /// model in eval mode without gradients, recording every leaf layer's output.
    /// </summary>
    public static ModelSummary Of(nn.Module<Tensor, Tensor> model, long[] inputShape, Device? device = null)
    {
        var layers = new List<LayerSummary>();
        var removers = new List<Action>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            var own = leaf.parameters(recurse: false).ToList();
            var count = own.Sum(p => p.numel());
            var trainable = own.Where(p => p.requires_grad).Sum(p => p.numel());
            var layerName = name;
            var remover = leaf.register_forward_hook((m, input, output) =>
            {
                layers.Add(new LayerSummary(layerName, m.GetType().Name, output.shape.ToArray(), count, trainable));
                return output;
            });
            removers.Add(remover.remove);
        }
        try
        {
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
            model.parameters().Sum(p => p.numel() * p.ElementSize), model.buffers().Sum(b => b.numel() * b.ElementSize));
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Bytes as "12.3 MB".</summary>
    public static string Megabytes(long bytes) => (bytes / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " MB";

    /// <summary>The summary as a text table.</summary>
    public override string ToString()
    {
        var rows = Layers.Select(l => (Name: $"{l.Name} ({l.Type})", Shape: Sizes.ShapeText(l.OutputShape), Params: N(l.Parameters))).ToList();
        var w0 = Math.Max(5, rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max());
        var w1 = Math.Max(12, rows.Select(r => r.Shape.Length).DefaultIfEmpty(0).Max());
        var w2 = Math.Max(7, rows.Select(r => r.Params.Length).DefaultIfEmpty(0).Max());
        var sb = new StringBuilder();
        var rule = new string('-', w0 + w1 + w2 + 4);
        sb.AppendLine($"{"Layer".PadRight(w0)}  {"Output shape".PadRight(w1)}  {"Param #".PadLeft(w2)}");
        sb.AppendLine(rule);
        foreach (var r in rows) sb.AppendLine($"{r.Name.PadRight(w0)}  {r.Shape.PadRight(w1)}  {r.Params.PadLeft(w2)}");
        sb.AppendLine(rule);
        sb.AppendLine($"Input: {Sizes.ShapeText(InputShape)}");
        sb.AppendLine($"Total parameters: {N(TotalParameters)}");
        sb.AppendLine($"Trainable parameters: {N(TrainableParameters)}");
        sb.AppendLine($"Non-trainable parameters: {N(TotalParameters - TrainableParameters)}");
        sb.Append($"Parameter memory: {Megabytes(ParameterBytes)} (+ {Megabytes(BufferBytes)} of buffers)");
        return sb.ToString();
    }
}
