using System.Diagnostics;
using System.Runtime.Intrinsics;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Diagnostics;

/// <summary>
/// Measures this processor's fp32 fused multiply-add peak at a vector width: independent accumulator chains, enough to
/// cover the FMA latency on every pipe, so the loop runs at throughput. Figures are quoted as a fraction of this
/// measured peak, taken in the same run, because absolute times drift on shared machines.
/// </summary>
/// <remarks>
/// The chains must also fit the register file with the two operands beside them, or the loop spills to the stack and
/// measures the spills: x64 without AVX-512 has 16 vector registers, and sixteen chains there measured 61 GFLOP/s on a
/// Zen 5 with AVX-512 switched off (<c>DOTNET_EnableAVX512=0</c>), where twelve measured 111 (the same machine's
/// 512-bit peak, sixteen chains in 32 registers, is 222). Twelve chains still cover latency × pipes of the x64 cores
/// in use (4–5 cycles × 2 pipes).
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

    /// <summary>Vector registers the JIT can give the probe here: 16 on x64 without AVX-512, 32 with it and on ARM64.</summary>
    internal static int VectorRegisters => System.Runtime.Intrinsics.X86.X86Base.IsSupported && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? 16 : 32;

    /// <summary>
    /// Accumulator chains for a register file of <paramref name="registers"/> vectors: sixteen where they fit beside the
    /// two operands, else twelve (see the remarks).
    /// </summary>
    internal static int ChainsFor(int registers) => registers >= 16 + 2 ? 16 : 12;

    /// <summary>A probe that a benchmark harness can run itself: each run does <see cref="ProbeJob.FlopsPerPart"/> per thread.</summary>
    internal static ProbeJob CreateJob(SimdWidth width) => new(SimdSupport.Resolve(width));

    internal sealed class ProbeJob(SimdWidth width) : IParallelJob
    {
        private const int MultiplyAdds = 32_000_016; // a multiple of 12 and of 16: every chain count does exactly this many

        public double FlopsPerPart => 2.0 * MultiplyAdds * (int)width / 32;

        public float Sink;

        public void Execute(int part, int parts)
        {
            bool sixteen = ChainsFor(VectorRegisters) == 16;
            float result = width switch
            {
                SimdWidth.Vector512 => Run16<Vector512Ops, Vector512<float>>(),
                SimdWidth.Vector256 => sixteen ? Run16<Vector256Ops, Vector256<float>>() : Run12<Vector256Ops, Vector256<float>>(),
                _ => sixteen ? Run16<Vector128Ops, Vector128<float>>() : Run12<Vector128Ops, Vector128<float>>(),
            };

            if (part == 0)
            {
                Sink = result;
            }
        }

        // Fully optimised from the first call: a probe that ran tier-0 code would understate the peak.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private static float Run16<TOps, TV>()
            where TOps : struct, IVectorOps<TV>
            where TV : struct
        {
            TV a = TOps.Broadcast(0.999999f), b = TOps.Broadcast(1e-7f);
            TV c0 = TOps.Broadcast(1), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            TV c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
            for (int i = 0; i < MultiplyAdds / 16; i++)
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

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private static float Run12<TOps, TV>()
            where TOps : struct, IVectorOps<TV>
            where TV : struct
        {
            TV a = TOps.Broadcast(0.999999f), b = TOps.Broadcast(1e-7f);
            TV c0 = TOps.Broadcast(1), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            TV c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (int i = 0; i < MultiplyAdds / 12; i++)
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
