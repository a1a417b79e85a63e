using System.Diagnostics;
using System.Globalization;
using EdgeLstm.Benchmarks.Onnx;
using EdgeLstm.Diagnostics;
using EdgeLstm.Simd;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// <c>side-by-side</c>: every model-level row, EdgeLstm and ONNX Runtime on the same work, measured in alternating
/// rounds in one process, each figure the best call of all rounds (the calls no other process interrupted: on a shared
/// machine the median measures the neighbours, the best call measures the code), with the FMA peak measured the same way
/// before each thread count. One-thread rows are timed in CPU time of the calling thread where the OS gives it (every
/// engine here runs a one-thread call on the caller: EdgeLstm's pool of 1, ONNX Runtime with intra_op_num_threads 1),
/// which leaves out the time slices other processes took; two-thread rows can only be timed by the wall clock.
/// The README's table comes from this.
/// </summary>
internal static class SideBySide
{
    private const int Rounds = 4;
    private const double SecondsPerTurn = 0.3;

    public static int Run()
    {
        var inv = CultureInfo.InvariantCulture;
        string? why = OnnxSessions.WhyUnavailable();
        Console.WriteLine(why is null ? $"ONNX Runtime {OnnxSessions.Version}" : $"ONNX Runtime NOT AVAILABLE here ({why}): EdgeLstm rows only");
        Console.WriteLine($"{Baseline.MachineKey} vectors, {Environment.ProcessorCount} processors; best call of {Rounds} alternating rounds of {SecondsPerTurn} s each");
        foreach (int threads in new[] { 1, 2 })
        {
            bool cpuClock = threads == 1 && ThreadCpuClock.IsAvailable;
            double peak = cpuClock ? OneThreadPeak() : FmaPeakProbe.Measure(SimdWidth.Auto, threads, rounds: 20);
            Console.WriteLine();
            Console.WriteLine(string.Create(inv, $"{threads} thread(s): FMA peak {peak:F1} GFLOP/s; times are {(cpuClock ? "CPU time of the calling thread" : "wall clock")}"));
            Console.WriteLine($"  {"work",-26} {"EdgeLstm",11} {"GFLOP/s",8} {"% peak",7} {"ONNX RT",11} {"% peak",7} {"speed-up",9}");
            foreach (var work in Enum.GetValues<ModelBenchmarks.Work>())
            {
                var edge = new ModelBenchmarks { Case = work, Threads = threads };
                edge.Setup();
                OnnxBenchmarks? onnx = null;
                if (why is null && work != ModelBenchmarks.Work.TrainingIterationBatch64)
                {
                    onnx = new OnnxBenchmarks { Case = work, Threads = threads };
                    onnx.Setup();
                }

                double bestEdge = double.MaxValue, bestOnnx = double.MaxValue;
                for (int round = 0; round < Rounds; round++)
                {
                    bestEdge = Math.Min(bestEdge, Best(edge.Run, cpuClock));
                    if (onnx is not null)
                    {
                        bestOnnx = Math.Min(bestOnnx, Best(onnx.Run, cpuClock));
                    }
                }

                edge.Cleanup();
                onnx?.Cleanup();
                double flops = BenchInputs.Flops(work);
                double gflops = flops / bestEdge / 1e9;
                string onnxText = onnx is null ? "-" : Time(bestOnnx);
                string onnxPercent = onnx is null ? "-" : (100 * flops / bestOnnx / 1e9 / peak).ToString("F1", inv) + "%";
                string ratio = onnx is null ? "-" : (bestOnnx / bestEdge).ToString("F2", inv) + "x";
                Console.WriteLine(string.Create(inv, $"  {work,-26} {Time(bestEdge),11} {gflops,8:F1} {100 * gflops / peak,6:F1}% {onnxText,11} {onnxPercent,7} {ratio,9}"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("speed-up: ONNX Runtime time / EdgeLstm time (> 1: EdgeLstm faster); % peak: of the FMA peak measured above.");
        return 0;
    }

    private static double Best(Action call, bool cpuClock)
    {
        call();
        double best = double.MaxValue;
        long start = Stopwatch.GetTimestamp();
        int calls = 0;
        while (calls < 3 || Stopwatch.GetElapsedTime(start).TotalSeconds < SecondsPerTurn)
        {
            double cpu = cpuClock ? ThreadCpuClock.Now() : 0;
            long t = Stopwatch.GetTimestamp();
            call();
            double seconds = cpuClock ? ThreadCpuClock.Now() - cpu : Stopwatch.GetElapsedTime(t).TotalSeconds;
            best = Math.Min(best, seconds);
            calls++;
        }

        return best;
    }

    /// <summary>The FMA probe run on the calling thread alone, timed in its CPU time (best of 20).</summary>
    private static double OneThreadPeak()
    {
        var job = FmaPeakProbe.CreateJob(SimdWidth.Auto);
        job.Execute(0, 1);
        double best = double.MaxValue;
        for (int i = 0; i < 20; i++)
        {
            double cpu = ThreadCpuClock.Now();
            job.Execute(0, 1);
            best = Math.Min(best, ThreadCpuClock.Now() - cpu);
        }

        return job.FlopsPerPart / best / 1e9;
    }

    private static string Time(double seconds) => seconds >= 1e-3
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e3:F3} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:F1} us");
}
