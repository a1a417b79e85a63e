using System.Diagnostics;
using System.Runtime.Intrinsics;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Diagnostics;

/// <summary>
/// Measures this processor's fp32 fused multiply-add peak at a vector width: twelve independent accumulator chains,
/// enough to cover the FMA latency on every pipe, so the loop runs at throughput. Figures are quoted as a fraction of this
/// measured peak, taken in the same run, because absolute times drift on shared machines.
/// </summary>
/// <remarks>
/// The chains must also fit the smallest register file with the two operands beside them, or the loop spills to the
/// stack and measures the spills: x64 without AVX-512 has 16 vector registers, and the sixteen chains the probe once
/// ran measured 61 GFLOP/s there (a Zen 5 with AVX-512 switched off, <c>DOTNET_EnableAVX512=0</c>) where twelve
/// measured 111. With 32 registers (AVX-512, NEON) twelve and sixteen measured the same (221–224 GFLOP/s at 512 bits,
/// six alternating rounds). Twelve cover latency × pipes of the cores in use (4–5 cycles × 2 pipes).
/// </remarks>
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

    /// <summary>Accumulator chains per thread (see the remarks).</summary>
    internal const int Chains = 12;

    /// <summary>Multiply-adds per vector lane a run does: a whole number of rounds of <see cref="Chains"/>.</summary>
    internal const int MultiplyAdds = 32_000_016;

    /// <summary>A probe that a benchmark harness can run itself: each run does <see cref="ProbeJob.FlopsPerPart"/> per thread.</summary>
    internal static ProbeJob CreateJob(SimdWidth width) => new(SimdSupport.Resolve(width));

    internal sealed class ProbeJob(SimdWidth width) : IParallelJob
    {
        public double FlopsPerPart => 2.0 * MultiplyAdds * (int)width / 32;

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
            // Chains (twelve) accumulators, each its own local so that each stays in a register.
            TV a = TOps.Broadcast(0.999999f), b = TOps.Broadcast(1e-7f);
            TV c0 = TOps.Broadcast(1), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            TV c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (int i = 0; i < MultiplyAdds / Chains; i++)
            {
                c0 = TOps.MultiplyAdd(c0, a, b); c1 = TOps.MultiplyAdd(c1, a, b); c2 = TOps.MultiplyAdd(c2, a, b); c3 = TOps.MultiplyAdd(c3, a, b);
                c4 = TOps.MultiplyAdd(c4, a, b); c5 = TOps.MultiplyAdd(c5, a, b); c6 = TOps.MultiplyAdd(c6, a, b); c7 = TOps.MultiplyAdd(c7, a, b);
                c8 = TOps.MultiplyAdd(c8, a, b); c9 = TOps.MultiplyAdd(c9, a, b); c10 = TOps.MultiplyAdd(c10, a, b); c11 = TOps.MultiplyAdd(c11, a, b);
            }

            TV s = TOps.Add(TOps.Add(TOps.Add(c0, c1), TOps.Add(c2, c3)), TOps.Add(TOps.Add(c4, c5), TOps.Add(c6, c7)));
            s = TOps.Add(s, TOps.Add(TOps.Add(c8, c9), TOps.Add(c10, c11)));
            return TOps.Sum(s);
        }
    }
}
