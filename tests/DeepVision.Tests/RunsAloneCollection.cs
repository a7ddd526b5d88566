namespace DeepVision.Tests;

/// <summary>
/// Tests that need the process to themselves run in this collection, after the parallel ones and one at a time:
/// memory and page-fault measurements (the counters are the whole process's), device setup, and every test that seeds
/// libtorch's global generator (which every test that draws random numbers shares; a test checks this last rule).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "Runs alone";
}
