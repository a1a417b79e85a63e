using System.Globalization;
using BenchmarkDotNet.Running;
using EdgeLstm.Diagnostics;
using EdgeLstm.Model;
using EdgeLstm.Simd;

// `ci [--write-baseline]`: the short suite, speed reported against perf/baseline.json but never failed on; fails only
//   on deterministic checks (allocation per call, ONNX Runtime agreement, a case not measured). The test command's stage.
// `gate`: the same, plus the speed gate (a case below 0.7x its baseline is re-measured interleaved with a fresh peak
//   before it fails). Run it on purpose, on a machine you can keep quiet.
// `quick`: the model-level figures in a few seconds, as a fraction of the FMA peak measured in the same run.
// `kernels`: each kernel shape's best time of many calls (the calls no other process interrupted) right after a fresh
//   1-thread FMA peak (best of its rounds), as a fraction of it: quick A/B comparisons on a shared machine.
// `side-by-side`: every model-level row, EdgeLstm and ONNX Runtime alternating, best calls (the README's table).
// `side-by-side [WORK ...]`: only the named rows (e.g. InferenceBatch1), or every row.
// `loop WORK THREADS SECONDS`: one row's call over and over, for a profiler (`perf record`), with its spread of times.
// `steps [WORK THREADS]`: where a recurrent step's time goes (product, cell, the exchange between threads), medians.
// `products [WORK THREADS]`: how a call's time divides between its products and the rest, and the product rate a
//   target fraction of the peak needs (training, batch 64).
// `int8-side-by-side [threads|kernels]`: the inference rows with int8 weights beside fp32 EdgeLstm and ONNX Runtime,
//   alternating; `kernels`: the int8 products against fp32's at the recipe's shapes.
// Anything else goes to BenchmarkDotNet (e.g. `--filter '*'`).
string root = AppContext.GetData("EdgeLstmRepoRoot") as string ?? Directory.GetCurrentDirectory();
if (args.Length > 0 && args[0] is "ci" or "gate")
{
    return EdgeLstm.Benchmarks.PerfSuite.Run(root, gate: args[0] == "gate", writeBaseline: args.Contains("--write-baseline"));
}

if (args.Length > 0 && args[0] == "loop" && args.Length == 4)
{
    return EdgeLstm.Benchmarks.ProfileLoop.Run(Enum.Parse<EdgeLstm.Benchmarks.ModelBenchmarks.Work>(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture), double.Parse(args[3], CultureInfo.InvariantCulture));
}

if (args.Length > 0 && args[0] == "steps" && args.Length is 1 or 3)
{
    return EdgeLstm.Benchmarks.StepBreakdown.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "products" && args.Length is 1 or 3)
{
    return EdgeLstm.Benchmarks.ProductShare.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "side-by-side")
{
    return EdgeLstm.Benchmarks.SideBySide.Run(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "int8-side-by-side")
{
    return args.Length > 1 && args[1] == "kernels" ? EdgeLstm.Benchmarks.Int8SideBySide.Kernels()
        : EdgeLstm.Benchmarks.Int8SideBySide.Run(args.Length > 1 ? [int.Parse(args[1], CultureInfo.InvariantCulture)] : [1, 2]);
}

if (args.Length > 0 && args[0] == "kernels")
{
    foreach (var shape in EdgeLstm.Benchmarks.KernelBenchmarks.Shapes())
    {
        var bench = new EdgeLstm.Benchmarks.KernelBenchmarks { Case = shape };
        bench.Setup();
        bench.Product();
        double peak = FmaPeakProbe.Measure(SimdWidth.Auto, 1, rounds: 10);
        var times = new List<double>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (times.Count < 5 || clock.Elapsed.TotalSeconds < 0.4)
        {
            long t = System.Diagnostics.Stopwatch.GetTimestamp();
            bench.Product();
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalSeconds);
        }

        times.Sort();
        double gflops = bench.FlopsPerOperation / times[0] / 1e9;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{shape,-36} {gflops,7:F1} GFLOP/s {100 * gflops / peak,6:F1} % of {peak:F1}"));
    }

    return 0;
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
