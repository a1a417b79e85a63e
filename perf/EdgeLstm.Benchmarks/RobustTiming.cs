using System.Diagnostics;
using EdgeLstm.Diagnostics;
using EdgeLstm.Simd;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// Timing that survives a shared machine: the best call of many (the calls no other process interrupted; the median
/// measures the neighbours), and for one thread the CPU time of the calling thread where the OS gives it, which leaves
/// out the slices the scheduler gave to other processes. Every engine here runs a one-thread call on the caller
/// (EdgeLstm's pool of 1; ONNX Runtime with intra_op_num_threads 1), so that clock covers all of its work. Two-thread
/// calls can only be timed by the wall clock. The FMA peak is measured the same way, so a fraction of it compares like
/// with like.
/// </summary>
internal static class RobustTiming
{
    public static bool UsesCpuClock(int threads) => threads == 1 && ThreadCpuClock.IsAvailable;

    public static string ClockName(int threads) => UsesCpuClock(threads) ? "CPU time of the calling thread" : "wall clock";

    /// <summary>The fp32 FMA peak in GFLOP/s at <paramref name="threads"/>, best of several runs.</summary>
    public static double PeakGflops(int threads)
    {
        if (!UsesCpuClock(threads))
        {
            return FmaPeakProbe.Measure(SimdWidth.Auto, threads, rounds: 20);
        }

        var job = FmaPeakProbe.CreateJob(SimdWidth.Auto);
        double best = BestSeconds(() => job.Execute(0, 1), threads, budgetSeconds: 0.2);
        return job.FlopsPerPart / best / 1e9;
    }

    /// <summary>The fastest of at least three calls made over about <paramref name="budgetSeconds"/>, after one warm-up call.</summary>
    public static double BestSeconds(Action call, int threads, double budgetSeconds)
    {
        bool cpuClock = UsesCpuClock(threads);
        call();
        double best = double.MaxValue;
        long start = Stopwatch.GetTimestamp();
        int calls = 0;
        while (calls < 3 || Stopwatch.GetElapsedTime(start).TotalSeconds < budgetSeconds)
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

    /// <summary>
    /// Percent of the peak a case reaches: <paramref name="rounds"/> rounds of a fresh peak immediately followed by the
    /// case, the best round counting.
    /// </summary>
    public static double PercentOfPeak(DirectCase direct, int threads, double flops, int rounds)
    {
        double best = 0;
        for (int round = 0; round < rounds; round++)
        {
            double peak = PeakGflops(threads);
            double seconds = BestSeconds(direct.Call, threads, budgetSeconds: 0.4);
            best = Math.Max(best, 100 * flops / seconds / 1e9 / peak);
        }

        return best;
    }
}
