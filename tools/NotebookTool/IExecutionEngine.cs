using System.Text.Json.Nodes;

namespace DeepVision.NotebookTool;

/// <summary>What runs a prepared notebook's cells: the real .NET Interactive kernel through dotnet-repl, or through
/// Jupyter's nbclient and the kernel's Jupyter front end.</summary>
public interface IExecutionEngine
{
    /// <summary>The engine's name in statuses and messages ("dotnet-repl", "jupyter").</summary>
    string Name { get; }

    /// <summary>What metadata.deepvision.execution says made the copy, with the pinned version.</summary>
    string Executor { get; }

    /// <summary>
    /// Executes <paramref name="prepared"/> (a notebook named <paramref name="name"/>, its parameters injected) with
    /// notebooks/ as the working directory, and returns the executed copy: the prepared notebook (metadata, tags,
    /// injected cell) with the engine's outputs and execution counts, in the order the kernel produced them; null when
    /// the engine wrote nothing.
    /// </summary>
    EngineResult Execute(JsonObject prepared, string name, TimeSpan timeout);
}
