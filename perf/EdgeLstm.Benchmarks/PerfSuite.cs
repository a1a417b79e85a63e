using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EdgeLstm.Benchmarks.Onnx;
using EdgeLstm.Data;
using EdgeLstm.IO;
using Perfolizer.Horology;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// The short suite behind <c>ci</c> (the test command's stage) and <c>gate</c> (the separate perf gate): one
/// BenchmarkDotNet run of the FMA peak, the kernels, the model-level work and ONNX Runtime on the same inference work,
/// every figure as a fraction of the peak measured in the same run and each inference row as a ratio to ONNX Runtime.
/// </summary>
/// <remarks>
/// <para><c>ci</c> fails only on what does not depend on the machine's load: a case that could not be measured, bytes
/// allocated per call by the calling thread (counted exactly, outside BenchmarkDotNet, whose process-wide count showed
/// kilobytes on a busy machine that no engine thread allocated; the unit tests count every worker thread too), and
/// ONNX Runtime disagreeing with EdgeLstm's probabilities. Speed is reported there, never gated: a busy machine
/// slowed a case to 0.66× its baseline with nothing wrong in the code.</para>
/// <para><c>gate</c> adds the speed check: a case below <see cref="SpeedGate.RegressionRatio"/> × its baseline is
/// re-measured, interleaved with a fresh FMA peak, before it fails.</para>
/// </remarks>
internal static class PerfSuite
{
    public static int Run(string root, bool gate, bool writeBaseline)
    {
        var inv = CultureInfo.InvariantCulture;
        int passed = 0, failed = 0;
        void Check(bool ok, string what)
        {
            Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
            if (ok)
            {
                passed++;
            }
            else
            {
                failed++;
            }
        }

        Console.WriteLine($"machine: {Baseline.MachineKey} vectors, {Environment.ProcessorCount} processors, AVX-512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}, AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}");

        // ONNX Runtime: can it run here, and does it compute what EdgeLstm computes? Only then is it timed.
        bool onnx = false;
        string? why = OnnxSessions.WhyUnavailable();
        if (why is not null)
        {
            Console.WriteLine($"ONNX Runtime is NOT AVAILABLE on this machine ({why}): the inference rows are measured without the ONNX Runtime ratio.");
        }
        else
        {
            Console.WriteLine($"ONNX Runtime {OnnxSessions.Version}: checking that it gives EdgeLstm's probabilities on real MNIST test images before timing it");
            var test = MnistDirectory.Load(Path.Combine(root, "data", "mnist"), DatasetSplit.Test).Images;
            var fixture = ModelFile.Load(Path.Combine(root, "tests", "EdgeLstm.Tests", "Fixtures", "pytorch_classifier.safetensors")).Model;
            bool allAgree = true;
            foreach (var (name, model) in new[] { ("benchmarked 2x256 model (seed 1)", BenchInputs.Model()), ("PyTorch-trained 2x16 fixture", fixture) })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    var result = OnnxAgreement.Check($"{name}, {threads} thread(s)", model, test, threads);
                    Check(result.Agrees, result.ToString());
                    allAgree &= result.Agrees;
                }
            }

            double control = OnnxAgreement.WrongGateOrderDifference(fixture, test);
            Check(control > OnnxAgreement.Tolerance, string.Create(inv, $"negative control: the fixture written with its gates in PyTorch's order (wrong for ONNX) differs by {control:E2}, above the tolerance"));
            onnx = allAgree;
            if (!allAgree)
            {
                Console.WriteLine("ONNX Runtime DISAGREES with EdgeLstm: not timed (a ratio against a different computation would mean nothing).");
            }
        }

        var measured = Measure(root, onnx);
        foreach (var (name, _) in measured.Unmeasured)
        {
            Check(false, $"measured: {name}");
        }

        var baseline = Baseline.Load(Path.Combine(root, "perf", "baseline.json"));
        PerfReport.Print(measured, baseline, onnx);
        if (writeBaseline)
        {
            // Not the BenchmarkDotNet medians above (on a shared machine they measure the neighbours too): each case
            // again, timed the way the gate re-measures a flagged case.
            // Two-thread rows only when the second core is really there: on a busy machine the two-thread peak
            // measures the neighbours, and a baseline taken then would fail every later run on a quiet one.
            var figures = new Dictionary<string, double>();
            double one = RobustTiming.PeakGflops(1), two = RobustTiming.PeakGflops(2);
            bool secondCore = two >= 1.5 * one;
            if (!secondCore)
            {
                Console.WriteLine(string.Create(inv, $"two-thread rows NOT baselined: the two-thread peak measured {two:F1} GFLOP/s, under 1.5x one thread's {one:F1} (the machine is busy)"));
            }

            foreach (var row in measured.Rows.Where(r => r.Case.Descriptor.Type != typeof(OnnxBenchmarks) && (secondCore || r.Threads == 1)))
            {
                using var direct = new DirectCase(row.Case);
                figures[row.Name] = Math.Round(RobustTiming.PercentOfPeak(direct, row.Threads, row.Flops, rounds: 3), 2);
                Console.WriteLine(string.Create(inv, $"baseline {row.Name}: {figures[row.Name]:F1} % of peak ({RobustTiming.ClockName(row.Threads)})"));
            }

            Baseline.Save(Path.Combine(root, "perf", "baseline.json"), figures);
            Console.WriteLine($"baseline written for {Baseline.MachineKey}: perf/baseline.json");
        }

        Console.WriteLine();
        Console.WriteLine("bytes allocated per call by the calling thread (exact, after warm-up; must be 0):");
        foreach (var row in measured.Rows.Where(r => r.Case.Descriptor.Type == typeof(ModelBenchmarks)))
        {
            using var direct = new DirectCase(row.Case);
            long bytes = direct.AllocatedBytesPerCall(calls: 4);
            Check(bytes == 0, string.Create(inv, $"{row.Name}: {bytes} B/call"));
        }

        if (gate)
        {
            Console.WriteLine();
            foreach (var (ok, what) in SpeedGate.Check(measured, baseline))
            {
                Check(ok, what);
            }
        }
        else
        {
            Console.WriteLine();
            Console.WriteLine("Speed is reported above, not gated here: the test command must not fail because the machine is busy.");
            Console.WriteLine("The speed gate is `dotnet run -c Release --project perf/EdgeLstm.Benchmarks -- gate` (re-measures a slow case before failing).");
        }

        Console.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static SuiteMeasurement Measure(string root, bool onnx)
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
            .WithArtifactsPath(Path.Combine(root, "artifacts", "perf"));
        Type[] types = onnx
            ? [typeof(PeakBenchmarks), typeof(KernelBenchmarks), typeof(ModelBenchmarks), typeof(OnnxBenchmarks)]
            : [typeof(PeakBenchmarks), typeof(KernelBenchmarks), typeof(ModelBenchmarks)];
        var reports = BenchmarkRunner.Run(types, config).SelectMany(s => s.Reports).ToList();

        var result = new SuiteMeasurement();
        foreach (var report in reports)
        {
            string name = SuiteMeasurement.NameOf(report.BenchmarkCase);
            if (report.ResultStatistics is null)
            {
                result.Unmeasured.Add((name, report.BenchmarkCase));
                continue;
            }

            var counted = SuiteMeasurement.Counted(report.BenchmarkCase);
            double seconds = report.ResultStatistics.Median * 1e-9;
            if (report.BenchmarkCase.Descriptor.Type == typeof(PeakBenchmarks))
            {
                result.Peak[counted.Threads] = counted.FlopsPerOperation / seconds / 1e9;
            }
            else
            {
                result.Rows.Add(new SuiteMeasurement.Row(name, report.BenchmarkCase, counted.Threads, counted.FlopsPerOperation, seconds));
            }
        }

        return result;
    }
}
