using System.Reflection;
using System.Text.RegularExpressions;

namespace DeepVision.Tests.Foundation;

/// <summary>The test suite's own rule for libtorch's global random generator, which all tests in the process share.</summary>
public class TestIsolationTests
{
    /// <summary>
    /// A test that seeds the generator to get the same draws every run gets them only if no other test draws in between:
    /// xUnit runs test classes in parallel, so such a class must sit in a collection that runs alone (MaskDropout's
    /// same-seed test failed so on the slow 2-core machine before this rule).
    /// </summary>
    [Fact]
    public void Every_test_class_that_seeds_the_global_generator_runs_in_a_collection_that_runs_alone()
    {
        var assembly = typeof(TestIsolationTests).Assembly;
        var aloneCollections = assembly.GetTypes()
            .Select(t => t.GetCustomAttribute<CollectionDefinitionAttribute>() is { DisableParallelization: true }
                ? (string?)t.GetCustomAttributesData().First(a => a.AttributeType == typeof(CollectionDefinitionAttribute)).ConstructorArguments[0].Value
                : null)
            .OfType<string>().ToHashSet();
        Assert.Contains(RunsAloneCollection.Name, aloneCollections);
        var testClasses = assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FactAttribute>() is not null))
            .ToDictionary(t => t.Name);

        var seeding = "manual" + "_seed("; // split, so that this file does not count itself
        var sources = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests", "DeepVision.Tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));
        var checkedClasses = new List<string>();
        var parallel = new List<string>();
        foreach (var file in sources)
        {
            var text = File.ReadAllText(file);
            if (!text.Contains(seeding, StringComparison.Ordinal)) continue;
            foreach (Match declaration in Regex.Matches(text, @"\bclass\s+(\w+)"))
            {
                if (!testClasses.TryGetValue(declaration.Groups[1].Value, out var type)) continue;
                checkedClasses.Add(type.Name);
                var collection = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(CollectionAttribute))?.ConstructorArguments[0].Value as string;
                if (collection is null || !aloneCollections.Contains(collection))
                    parallel.Add($"{type.Name} ({Path.GetRelativePath(RepoPaths.Root, file)}, collection: {collection ?? "its own, parallel"})");
            }
        }
        // The rule has something to check: the tests that compare same-seed runs exactly are among the seeding ones.
        Assert.Contains(nameof(DeepVision.Tests.Training.PluginTests), checkedClasses);
        Assert.True(parallel.Count == 0,
            "These test classes seed libtorch's global generator but run in parallel with other tests, which draw from it in between: " +
            $"put [Collection(RunsAloneCollection.Name)] on them.\n  {string.Join("\n  ", parallel)}");
    }
}
