namespace DeepVision.Tests;

/// <summary>
/// Tests that need the process to themselves run in this collection, after the parallel ones and one at a time:
/// memory and page-fault measurements (the counters are the whole process's), and device setup (it reseeds libtorch's
/// global generator, which every test that draws random numbers shares).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "Runs alone";
}
