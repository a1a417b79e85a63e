using System.Globalization;
using BenchmarkDotNet.Running;
using EdgeLstm.Diagnostics;
using EdgeLstm.Model;
using EdgeLstm.Simd;

// `ci [--write-baseline]`: the short suite compared with perf/baseline.json (the CI perf job).
// `quick`: the model-level figures in a few seconds, as a fraction of the FMA peak measured in the same run.
// Anything else goes to BenchmarkDotNet (e.g. `--filter '*'`).
if (args.Length > 0 && args[0] == "ci")
{
    string root = AppContext.GetData("EdgeLstmRepoRoot") as string ?? Directory.GetCurrentDirectory();
    return EdgeLstm.Benchmarks.PerfGate.Run(Path.Combine(root, "perf", "baseline.json"), args.Contains("--write-baseline"), Path.Combine(root, "artifacts", "perf"));
}

if (args.Length > 0 && args[0] == "quick")
{
    var config = LstmConfig.Mnist;
    var width = SimdSupport.Widest;
    Console.WriteLine($"vector width {(int)width} bits, {Environment.ProcessorCount} processors");
    foreach (int threads in new[] { 1, 2 })
    {
        double peak = FmaPeakProbe.Measure(width, threads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FMA peak, {threads} thread(s): {peak:F1} GFLOP/s"));
        foreach (var r in new[]
        {
            ThroughputBenchmark.Training(config, 64, threads),
            ThroughputBenchmark.Inference(config, 64, threads),
            ThroughputBenchmark.Inference(config, 1, threads, calls: 200),
            ThroughputBenchmark.StreamingStep(config, threads),
        })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {r.Work,-36} {r.SecondsPerCall * 1e3,9:F3} ms  {r.Gflops,7:F1} GFLOP/s  {100 * r.Gflops / peak,5:F1} % of peak  {r.AllocatedBytesPerCall,6:F0} B/call"));
        }
    }

    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
