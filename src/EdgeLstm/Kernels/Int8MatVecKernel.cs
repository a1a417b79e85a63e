using System.Runtime.CompilerServices;
using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// y (+)= W·x with W int8 [rows × cols] and one fp32 scale per row, for one input vector or a few (rows of X),
/// written once against <see cref="IVectorOps{TV}"/> and <see cref="IInt8Widening{TV}"/>.
/// </summary>
/// <remarks>
/// Each output is d = Σ_j float(q[i, j])·x[j], then y = scale·d (or y + scale·d as one fused multiply-add): the int8
/// values are widened to floats in registers and never dequantised in memory, so the weight bytes read are a quarter
/// of fp32's, and the scale is applied once per row rather than once per weight. Every output is the same chain
/// whichever body computes it (a block of four rows or one row, a block of four inputs or one): two vector accumulators
/// over steps of two vectors, one more vector step into the first, their lane sum, then scalar fused multiply-adds for
/// the tail. So splitting rows between threads, or batching inputs, never changes a bit.
/// </remarks>
internal static unsafe class Int8MatVecKernel<TOps, TWiden, TV>
    where TOps : struct, IVectorOps<TV>
    where TWiden : struct, IInt8Widening<TV>
    where TV : struct
{
    /// <summary>
    /// y[b·ldy + i] (+)= scales[i] · Σ_j w[i·ldw + j]·x[b·ldx + j] for rows [rowStart, rowEnd) and inputs b in [0, batch).
    /// </summary>
    public static void Compute(
        sbyte* w, int ldw, float* scales,
        float* x, int ldx, float* y, int ldy,
        int batch, int rowStart, int rowEnd, int cols, bool accumulate)
    {
        int b = 0;
        for (; b + 4 <= batch; b += 4)
        {
            for (int i = rowStart; i < rowEnd; i++)
            {
                RowFourInputs(w + ((long)i * ldw), scales[i], x + ((long)b * ldx), ldx, y + ((long)b * ldy) + i, ldy, cols, accumulate);
            }
        }

        for (; b < batch; b++)
        {
            float* xb = x + ((long)b * ldx);
            float* yb = y + ((long)b * ldy);
            int i = rowStart;
            for (; i + 4 <= rowEnd; i += 4)
            {
                FourRowsOneInput(w + ((long)i * ldw), ldw, scales + i, xb, yb + i, cols, accumulate);
            }

            for (; i < rowEnd; i++)
            {
                OneRowOneInput(w + ((long)i * ldw), scales[i], xb, yb + i, cols, accumulate);
            }
        }
    }

    /// <summary>Four rows of W against one input: each widened x vector is loaded once for four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRowsOneInput(sbyte* w, int ldw, float* scales, float* x, float* y, int cols, bool accumulate)
    {
        int n = TOps.Count;
        sbyte* w0 = w, w1 = w + ldw, w2 = w + (2L * ldw), w3 = w + (3L * ldw);
        TV a00 = TOps.Zero, a01 = TOps.Zero, a10 = TOps.Zero, a11 = TOps.Zero;
        TV a20 = TOps.Zero, a21 = TOps.Zero, a30 = TOps.Zero, a31 = TOps.Zero;
        int p = 0;
        for (; p + (2 * n) <= cols; p += 2 * n)
        {
            TV x0 = TOps.Load(x + p), x1 = TOps.Load(x + p + n);
            a00 = TOps.MultiplyAdd(TWiden.LoadWidened(w0 + p), x0, a00); a01 = TOps.MultiplyAdd(TWiden.LoadWidened(w0 + p + n), x1, a01);
            a10 = TOps.MultiplyAdd(TWiden.LoadWidened(w1 + p), x0, a10); a11 = TOps.MultiplyAdd(TWiden.LoadWidened(w1 + p + n), x1, a11);
            a20 = TOps.MultiplyAdd(TWiden.LoadWidened(w2 + p), x0, a20); a21 = TOps.MultiplyAdd(TWiden.LoadWidened(w2 + p + n), x1, a21);
            a30 = TOps.MultiplyAdd(TWiden.LoadWidened(w3 + p), x0, a30); a31 = TOps.MultiplyAdd(TWiden.LoadWidened(w3 + p + n), x1, a31);
        }

        if (p + n <= cols)
        {
            TV x0 = TOps.Load(x + p);
            a00 = TOps.MultiplyAdd(TWiden.LoadWidened(w0 + p), x0, a00);
            a10 = TOps.MultiplyAdd(TWiden.LoadWidened(w1 + p), x0, a10);
            a20 = TOps.MultiplyAdd(TWiden.LoadWidened(w2 + p), x0, a20);
            a30 = TOps.MultiplyAdd(TWiden.LoadWidened(w3 + p), x0, a30);
            p += n;
        }

        Finish(TOps.Sum(TOps.Add(a00, a01)), w0, p, x, cols, scales[0], y, accumulate);
        Finish(TOps.Sum(TOps.Add(a10, a11)), w1, p, x, cols, scales[1], y + 1, accumulate);
        Finish(TOps.Sum(TOps.Add(a20, a21)), w2, p, x, cols, scales[2], y + 2, accumulate);
        Finish(TOps.Sum(TOps.Add(a30, a31)), w3, p, x, cols, scales[3], y + 3, accumulate);
    }

    /// <summary>One row of W against four inputs: each widened weight vector is loaded once for four inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowFourInputs(sbyte* w, float scale, float* x, int ldx, float* y, int ldy, int cols, bool accumulate)
    {
        int n = TOps.Count;
        float* x0 = x, x1 = x + ldx, x2 = x + (2L * ldx), x3 = x + (3L * ldx);
        TV a00 = TOps.Zero, a01 = TOps.Zero, a10 = TOps.Zero, a11 = TOps.Zero;
        TV a20 = TOps.Zero, a21 = TOps.Zero, a30 = TOps.Zero, a31 = TOps.Zero;
        int p = 0;
        for (; p + (2 * n) <= cols; p += 2 * n)
        {
            TV q0 = TWiden.LoadWidened(w + p), q1 = TWiden.LoadWidened(w + p + n);
            a00 = TOps.MultiplyAdd(q0, TOps.Load(x0 + p), a00); a01 = TOps.MultiplyAdd(q1, TOps.Load(x0 + p + n), a01);
            a10 = TOps.MultiplyAdd(q0, TOps.Load(x1 + p), a10); a11 = TOps.MultiplyAdd(q1, TOps.Load(x1 + p + n), a11);
            a20 = TOps.MultiplyAdd(q0, TOps.Load(x2 + p), a20); a21 = TOps.MultiplyAdd(q1, TOps.Load(x2 + p + n), a21);
            a30 = TOps.MultiplyAdd(q0, TOps.Load(x3 + p), a30); a31 = TOps.MultiplyAdd(q1, TOps.Load(x3 + p + n), a31);
        }

        if (p + n <= cols)
        {
            TV q0 = TWiden.LoadWidened(w + p);
            a00 = TOps.MultiplyAdd(q0, TOps.Load(x0 + p), a00);
            a10 = TOps.MultiplyAdd(q0, TOps.Load(x1 + p), a10);
            a20 = TOps.MultiplyAdd(q0, TOps.Load(x2 + p), a20);
            a30 = TOps.MultiplyAdd(q0, TOps.Load(x3 + p), a30);
            p += n;
        }

        Finish(TOps.Sum(TOps.Add(a00, a01)), w, p, x0, cols, scale, y, accumulate);
        Finish(TOps.Sum(TOps.Add(a10, a11)), w, p, x1, cols, scale, y + ldy, accumulate);
        Finish(TOps.Sum(TOps.Add(a20, a21)), w, p, x2, cols, scale, y + (2L * ldy), accumulate);
        Finish(TOps.Sum(TOps.Add(a30, a31)), w, p, x3, cols, scale, y + (3L * ldy), accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRowOneInput(sbyte* w, float scale, float* x, float* y, int cols, bool accumulate)
    {
        int n = TOps.Count;
        TV a0 = TOps.Zero, a1 = TOps.Zero;
        int p = 0;
        for (; p + (2 * n) <= cols; p += 2 * n)
        {
            a0 = TOps.MultiplyAdd(TWiden.LoadWidened(w + p), TOps.Load(x + p), a0);
            a1 = TOps.MultiplyAdd(TWiden.LoadWidened(w + p + n), TOps.Load(x + p + n), a1);
        }

        if (p + n <= cols)
        {
            a0 = TOps.MultiplyAdd(TWiden.LoadWidened(w + p), TOps.Load(x + p), a0);
            p += n;
        }

        Finish(TOps.Sum(TOps.Add(a0, a1)), w, p, x, cols, scale, y, accumulate);
    }

    /// <summary>The scalar tail of one dot product from column <paramref name="p"/>, then the row's scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float dot, sbyte* w, int p, float* x, int cols, float scale, float* y, bool accumulate)
    {
        for (; p < cols; p++)
        {
            dot = MathF.FusedMultiplyAdd(w[p], x[p], dot);
        }

        *y = accumulate ? MathF.FusedMultiplyAdd(scale, dot, *y) : scale * dot;
    }
}
