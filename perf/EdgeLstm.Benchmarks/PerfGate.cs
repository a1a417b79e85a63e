using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// The CI perf job: a short BenchmarkDotNet run of the whole suite, every figure turned into a fraction of the FMA peak
/// measured in the same run (absolute times drift on shared machines; ratios to the same run's peak drift far less),
/// compared with the committed baseline. Fails only on a gross regression (below 0.7× baseline).
/// </summary>
/// <remarks>
/// Bytes per call are printed for information only: BenchmarkDotNet counts them process-wide, and on a busy machine
/// some kilobytes per call showed up on 2 threads that no engine thread allocated. Zero allocation is enforced where
/// it can be measured exactly, by the unit tests, on the caller and on every worker thread
/// (tests/EdgeLstm.Tests/Engine/DeterminismAndAllocationTests.cs).
/// </remarks>
internal static class PerfGate
{
    private const double RegressionRatio = 0.7;

    public static int Run(string baselinePath, bool writeBaseline, string artifacts)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(5)
            .WithIterationTime(TimeInterval.FromMilliseconds(250));
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(JsonExporter.Full)
            .WithArtifactsPath(artifacts);

        var summaries = BenchmarkRunner.Run([typeof(PeakBenchmarks), typeof(KernelBenchmarks), typeof(ModelBenchmarks)], config);
        var reports = summaries.SelectMany(s => s.Reports).ToList();
        var peak = new Dictionary<int, double>();
        var rows = new List<(string Name, IFlopCounted Case, double Seconds, long? Allocated)>();
        foreach (var report in reports)
        {
            if (report.ResultStatistics is null)
            {
                Console.WriteLine($"FAILED to measure: {report.BenchmarkCase.DisplayInfo}");
                return 1;
            }

            var counted = Instantiate(report);
            double seconds = report.ResultStatistics.Mean * 1e-9;
            string name = $"{report.BenchmarkCase.Descriptor.Type.Name.Replace("Benchmarks", string.Empty, StringComparison.Ordinal)} {string.Join(", ", report.BenchmarkCase.Parameters.Items.Select(p => $"{p.Name}={p.Value}"))}";
            if (counted is PeakBenchmarks)
            {
                peak[counted.Threads] = counted.FlopsPerOperation / seconds / 1e9;
            }
            else
            {
                rows.Add((name, counted, seconds, report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase)));
            }
        }

        var baseline = File.Exists(baselinePath)
            ? JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(baselinePath)) ?? []
            : [];
        var now = new Dictionary<string, double>();
        int failures = 0;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"FMA peak measured in this run: {peak.GetValueOrDefault(1):F1} GFLOP/s on 1 thread, {peak.GetValueOrDefault(2):F1} on 2"));
        Console.WriteLine($"{"case",-58} {"time",11} {"GFLOP/s",8} {"% peak",7} {"baseline",8} {"ratio",6} {"B/op",6}");
        foreach (var (name, counted, seconds, allocated) in rows)
        {
            double gflops = counted.FlopsPerOperation / seconds / 1e9;
            double percent = 100 * gflops / peak[counted.Threads];
            now[name] = Math.Round(percent, 2);
            string verdict = string.Empty;
            string baselineText = "-", ratioText = "-";
            if (baseline.TryGetValue(name, out double before))
            {
                double ratio = percent / before;
                baselineText = before.ToString("F1", inv);
                ratioText = ratio.ToString("F2", inv);
                if (ratio < RegressionRatio)
                {
                    verdict = "  REGRESSION";
                    failures++;
                }
            }

            Console.WriteLine(string.Create(inv, $"{name,-58} {seconds * 1e3,8:F3} ms {gflops,8:F1} {percent,6:F1}% {baselineText,8} {ratioText,6} {allocated ?? -1,6}{verdict}"));
        }

        if (writeBaseline)
        {
            File.WriteAllText(baselinePath, JsonSerializer.Serialize(now, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine($"baseline written: {baselinePath}");
        }

        int total = rows.Count;
        Console.WriteLine($"{total - failures} passed, {failures} failed");
        return failures == 0 ? 0 : 1;
    }

    private static IFlopCounted Instantiate(BenchmarkReport report)
    {
        var type = report.BenchmarkCase.Descriptor.Type;
        var instance = Activator.CreateInstance(type)!;
        foreach (var parameter in report.BenchmarkCase.Parameters.Items)
        {
            type.GetProperty(parameter.Name)!.SetValue(instance, parameter.Value);
        }

        return (IFlopCounted)instance;
    }
}
