using System.Diagnostics;
using System.Runtime.Intrinsics;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Diagnostics;

/// <summary>
/// Measures this processor's fp32 fused multiply-add peak at a vector width: sixteen independent accumulator chains,
/// enough to cover the FMA latency on every pipe, so the loop runs at throughput. Figures are quoted as a fraction of
/// this measured peak, taken in the same run, because absolute times drift on shared machines.
/// </summary>
public static class FmaPeakProbe
{
    /// <summary>GFLOP/s of <paramref name="threads"/> threads at <paramref name="width"/> (best of several rounds).</summary>
    public static double Measure(SimdWidth width = SimdWidth.Auto, int threads = 1, int rounds = 5)
    {
        width = SimdSupport.Resolve(width);
        using var pool = new WorkerPool(threads);
        var job = new ProbeJob(width);
        pool.Run(job);
        double best = 0;
        for (int r = 0; r < rounds; r++)
        {
            long start = Stopwatch.GetTimestamp();
            pool.Run(job);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Max(best, job.FlopsPerPart * threads / seconds / 1e9);
        }

        return best;
    }

    /// <summary>A probe that a benchmark harness can run itself: each run does <see cref="ProbeJob.FlopsPerPart"/> per thread.</summary>
    internal static ProbeJob CreateJob(SimdWidth width) => new(SimdSupport.Resolve(width));

    internal sealed class ProbeJob(SimdWidth width) : IParallelJob
    {
        private const int Iterations = 2_000_000;
        private const int Chains = 16;

        public double FlopsPerPart => 2.0 * Iterations * Chains * (int)width / 32;

        public float Sink;

        public void Execute(int part, int parts)
        {
            float result = width switch
            {
                SimdWidth.Vector512 => Run<Vector512Ops, Vector512<float>>(),
                SimdWidth.Vector256 => Run<Vector256Ops, Vector256<float>>(),
                _ => Run<Vector128Ops, Vector128<float>>(),
            };

            if (part == 0)
            {
                Sink = result;
            }
        }

        // Fully optimised from the first call: a probe that ran tier-0 code would understate the peak.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private static float Run<TOps, TV>()
            where TOps : struct, IVectorOps<TV>
            where TV : struct
        {
            TV a = TOps.Broadcast(0.999999f), b = TOps.Broadcast(1e-7f);
            TV c0 = TOps.Broadcast(1), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            TV c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
            for (int i = 0; i < Iterations; i++)
            {
                c0 = TOps.MultiplyAdd(c0, a, b); c1 = TOps.MultiplyAdd(c1, a, b); c2 = TOps.MultiplyAdd(c2, a, b); c3 = TOps.MultiplyAdd(c3, a, b);
                c4 = TOps.MultiplyAdd(c4, a, b); c5 = TOps.MultiplyAdd(c5, a, b); c6 = TOps.MultiplyAdd(c6, a, b); c7 = TOps.MultiplyAdd(c7, a, b);
                c8 = TOps.MultiplyAdd(c8, a, b); c9 = TOps.MultiplyAdd(c9, a, b); c10 = TOps.MultiplyAdd(c10, a, b); c11 = TOps.MultiplyAdd(c11, a, b);
                c12 = TOps.MultiplyAdd(c12, a, b); c13 = TOps.MultiplyAdd(c13, a, b); c14 = TOps.MultiplyAdd(c14, a, b); c15 = TOps.MultiplyAdd(c15, a, b);
            }

            TV s = TOps.Add(TOps.Add(TOps.Add(c0, c1), TOps.Add(c2, c3)), TOps.Add(TOps.Add(c4, c5), TOps.Add(c6, c7)));
            s = TOps.Add(s, TOps.Add(TOps.Add(TOps.Add(c8, c9), TOps.Add(c10, c11)), TOps.Add(TOps.Add(c12, c13), TOps.Add(c14, c15))));
            return TOps.Sum(s);
        }
    }
}
