namespace DeepVision.Training;

/// <summary>The figures of one pass over evaluation data. Accuracies are fractions.</summary>
public sealed record EvaluationResult(double Loss, double Accuracy, double Top5, long Examples);
