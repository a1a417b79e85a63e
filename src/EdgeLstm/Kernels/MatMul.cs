using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Kernels;

/// <summary>
/// Single-precision matrix products on row-major spans: C (+)= A·B, Aᵀ·B and A·Bᵀ, with Vector512, Vector256 and
/// Vector128 bodies and scalar tails, optionally split over a <see cref="WorkerPool"/>. Nothing is allocated.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>C[m×n] (+)= A[m×k]·B[k×n].</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false, WorkerPool? pool = null, SimdWidth width = SimdWidth.Auto)
        => Run(MatMulForm.AB, a, k, b, n, c, m, n, k, accumulate, pool, width, (long)m * k, (long)k * n);

    /// <summary>C[m×n] (+)= A[k×m]ᵀ·B[k×n].</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false, WorkerPool? pool = null, SimdWidth width = SimdWidth.Auto)
        => Run(MatMulForm.AtB, a, m, b, n, c, m, n, k, accumulate, pool, width, (long)k * m, (long)k * n);

    /// <summary>C[m×n] (+)= A[m×k]·B[n×k]ᵀ.</summary>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false, WorkerPool? pool = null, SimdWidth width = SimdWidth.Auto)
        => Run(MatMulForm.ABt, a, k, b, k, c, m, n, k, accumulate, pool, width, (long)m * k, (long)n * k);

    private static void Run(MatMulForm form, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int m, int n, int k, bool accumulate, WorkerPool? pool, SimdWidth width, long aLength, long bLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (a.Length < aLength)
        {
            throw new ArgumentException($"A holds {a.Length} floats; the product needs {aLength}.", nameof(a));
        }

        if (b.Length < bLength)
        {
            throw new ArgumentException($"B holds {b.Length} floats; the product needs {bLength}.", nameof(b));
        }

        if (c.Length < (long)m * n)
        {
            throw new ArgumentException($"C holds {c.Length} floats; the product needs {(long)m * n}.", nameof(c));
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                c[..(m * n)].Clear();
            }

            return;
        }

        width = SimdSupport.Resolve(width);
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = pool?.MatMulJob ?? ThreadLocalJob;
            job.Run(pool, form, pa, lda, pb, ldb, pc, n, m, n, k, accumulate, width);
        }
    }

    /// <summary>The same product on raw pointers with explicit leading dimensions, for the engine's own buffers.</summary>
    internal static void Run(WorkerPool? pool, MatMulForm form, float* a, int lda, float* b, int ldb, float* c, int ldc, int m, int n, int k, bool accumulate, SimdWidth width)
    {
        if (m == 0 || n == 0 || k == 0)
        {
            return;
        }

        (pool?.MatMulJob ?? ThreadLocalJob).Run(pool, form, a, lda, b, ldb, c, ldc, m, n, k, accumulate, width);
    }

    [ThreadStatic]
    private static MatMulJob? t_job;

    private static MatMulJob ThreadLocalJob => t_job ??= new MatMulJob();
}
