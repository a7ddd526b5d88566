using DeepVision.Benchmarks;

// The speed-run benchmark runs our side in a fresh process of this harness.
if (args is ["speedrun-ours", var threads]) return SpeedRunBenchmark.OurSide(int.Parse(threads));

// Each benchmark prints its figures and the target it is checked against. No argument runs them all.
var benchmarks = new Dictionary<string, Func<int>>(StringComparer.OrdinalIgnoreCase)
{
    ["data"] = DataBenchmark.Run,
    ["precision"] = PrecisionBenchmark.Run,
    ["vit"] = VitBenchmark.Run,
    ["speedrun"] = SpeedRunBenchmark.Run,
    ["onednn"] = OneDnnBenchmark.Run,
};
var selected = args.Length == 0 ? benchmarks.Keys.ToList() : args.ToList();
var unknown = selected.Where(s => !benchmarks.ContainsKey(s)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown benchmark(s): {string.Join(", ", unknown)}; known: {string.Join(", ", benchmarks.Keys)}");
    return 1;
}
var failures = 0;
foreach (var name in selected)
{
    Console.WriteLine($"== {name} ==");
    failures += benchmarks[name]();
    Console.WriteLine();
}
Console.WriteLine(failures == 0 ? "All benchmark targets met." : $"{failures} benchmark target(s) missed.");
return failures == 0 ? 0 : 3;
