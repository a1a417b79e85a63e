using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// Single-precision matrix products on row-major spans, on the calling thread: C (+)= A·B, Aᵀ·B and A·Bᵀ, with
/// Vector512, Vector256 and Vector128 bodies and scalar tails. Nothing is allocated. The engine splits the same products
/// between threads through <see cref="MatMulJob"/>; the bits are the same either way.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>C[m×n] (+)= A[m×k]·B[k×n].</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false, SimdWidth width = SimdWidth.Auto)
        => Run(MatMulForm.AB, a, b, c, m, n, k, accumulate, width);

    /// <summary>C[m×n] (+)= A[k×m]ᵀ·B[k×n].</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false, SimdWidth width = SimdWidth.Auto)
        => Run(MatMulForm.AtB, a, b, c, m, n, k, accumulate, width);

    /// <summary>C[m×n] (+)= A[m×k]·B[n×k]ᵀ.</summary>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false, SimdWidth width = SimdWidth.Auto)
        => Run(MatMulForm.ABt, a, b, c, m, n, k, accumulate, width);

    /// <summary>Checks the spans against the shape and describes the product; the caller runs it.</summary>
    internal static MatMulJob Describe(MatMulForm form, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate, SimdWidth width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        long aLength = form == MatMulForm.AtB ? (long)k * m : (long)m * k;
        long bLength = form == MatMulForm.ABt ? (long)n * k : (long)k * n;
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

        return new MatMulJob
        {
            Form = form,
            Lda = form == MatMulForm.AtB ? m : k,
            Ldb = form == MatMulForm.ABt ? k : n,
            Ldc = n,
            M = m,
            N = n,
            K = k,
            Accumulate = accumulate,
            Width = SimdSupport.Resolve(width),
        };
    }

    private static void Run(MatMulForm form, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate, SimdWidth width)
    {
        var job = Describe(form, a, b, c, m, n, k, accumulate, width);
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

        fixed (float* pa = a, pb = b, pc = c)
        {
            job.A = pa;
            job.B = pb;
            job.C = pc;
            job.Execute(0, 1);
        }
    }
}
