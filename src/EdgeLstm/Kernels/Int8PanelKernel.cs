using System.Runtime.CompilerServices;
using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// Y (+)= X·Wᵀ with W an <see cref="Int8PanelMatrix"/> (int8, one fp32 scale per output row) and X fp32 [batch ×
/// cols], written once against <see cref="IVectorOps{TV}"/> and <see cref="IInt8Widening{TV}"/>. Output rows are vector
/// lanes: each step widens one vector of int8 weights to floats in registers and multiplies it by one broadcast input.
/// </summary>
/// <remarks>
/// Every output is the same chain whichever body computes it, at every vector width: d = 0, then d = fma(q[i, k],
/// x[k], d) for k = 0, 1, …, cols−1 (q widened exactly), then y = scale·d (or fma(scale, d, y) when accumulating). So
/// the batch size, the split of rows between threads and the vector width change no bit, and a scalar loop is its exact
/// reference. Batch 1 (the streaming step) runs eight vectors of rows at once, so eight independent chains hide the
/// multiply-add latency; four inputs at a time share each widened weight vector between them.
/// </remarks>
internal static unsafe class Int8PanelKernel<TOps, TWiden, TV>
    where TOps : struct, IVectorOps<TV>
    where TWiden : struct, IInt8Widening<TV>
    where TV : struct
{
    private const int Step = Int8PanelMatrix.Width;

    /// <summary>
    /// y[b·ldy + i] (+)= scales[i] · Σ_k q[i, k]·x[b·ldx + k] for rows i in [rowStart, rowEnd) and inputs b in
    /// [0, batch). <paramref name="rowStart"/> is a multiple of <see cref="Int8PanelMatrix.Width"/>.
    /// </summary>
    public static void Compute(
        sbyte* values, float* scales, int cols,
        float* x, int ldx, float* y, int ldy,
        int batch, int rowStart, int rowEnd, bool accumulate)
    {
        int n = TOps.Count;
        int first = rowStart / n, end = (rowEnd + n - 1) / n;
        int b = 0;
        for (; b + 4 <= batch; b += 4)
        {
            float* xb = x + ((long)b * ldx);
            float* yb = y + ((long)b * ldy);
            int c = first;
            for (; c + 4 <= end; c += 4)
            {
                FourInputsFourVectors(values, cols, c, xb, ldx, scales, yb, ldy, rowEnd, accumulate);
            }

            for (; c < end; c++)
            {
                FourInputsOneVector(values, cols, c, xb, ldx, scales, yb, ldy, rowEnd, accumulate);
            }
        }

        for (; b < batch; b++)
        {
            float* xb = x + ((long)b * ldx);
            float* yb = y + ((long)b * ldy);
            int c = first;
            for (; c + 8 <= end; c += 8)
            {
                OneInputEightVectors(values, cols, c, xb, scales, yb, rowEnd, accumulate);
            }

            for (; c < end; c++)
            {
                OneInputOneVector(values, cols, c, xb, scales, yb, rowEnd, accumulate);
            }
        }
    }

    /// <summary>Where vector column <paramref name="c"/> (rows c·n … c·n + n − 1) starts: step k of it is 16·k bytes on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static sbyte* Column(sbyte* values, int cols, int c)
    {
        int n = TOps.Count, perPanel = Step / n;
        return values + ((long)(c / perPanel) * Step * cols) + ((c % perPanel) * n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneInputEightVectors(sbyte* values, int cols, int c, float* x, float* scales, float* y, int rowEnd, bool accumulate)
    {
        sbyte* w0 = Column(values, cols, c), w1 = Column(values, cols, c + 1), w2 = Column(values, cols, c + 2), w3 = Column(values, cols, c + 3);
        sbyte* w4 = Column(values, cols, c + 4), w5 = Column(values, cols, c + 5), w6 = Column(values, cols, c + 6), w7 = Column(values, cols, c + 7);
        TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        long o = 0;
        for (int k = 0; k < cols; k++, o += Step)
        {
            TV xk = TOps.Broadcast(x[k]);
            a0 = TOps.MultiplyAdd(TWiden.LoadWidened(w0 + o), xk, a0);
            a1 = TOps.MultiplyAdd(TWiden.LoadWidened(w1 + o), xk, a1);
            a2 = TOps.MultiplyAdd(TWiden.LoadWidened(w2 + o), xk, a2);
            a3 = TOps.MultiplyAdd(TWiden.LoadWidened(w3 + o), xk, a3);
            a4 = TOps.MultiplyAdd(TWiden.LoadWidened(w4 + o), xk, a4);
            a5 = TOps.MultiplyAdd(TWiden.LoadWidened(w5 + o), xk, a5);
            a6 = TOps.MultiplyAdd(TWiden.LoadWidened(w6 + o), xk, a6);
            a7 = TOps.MultiplyAdd(TWiden.LoadWidened(w7 + o), xk, a7);
        }

        int n = TOps.Count;
        Finish(a0, c * n, scales, y, rowEnd, accumulate);
        Finish(a1, (c + 1) * n, scales, y, rowEnd, accumulate);
        Finish(a2, (c + 2) * n, scales, y, rowEnd, accumulate);
        Finish(a3, (c + 3) * n, scales, y, rowEnd, accumulate);
        Finish(a4, (c + 4) * n, scales, y, rowEnd, accumulate);
        Finish(a5, (c + 5) * n, scales, y, rowEnd, accumulate);
        Finish(a6, (c + 6) * n, scales, y, rowEnd, accumulate);
        Finish(a7, (c + 7) * n, scales, y, rowEnd, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneInputOneVector(sbyte* values, int cols, int c, float* x, float* scales, float* y, int rowEnd, bool accumulate)
    {
        sbyte* w = Column(values, cols, c);
        TV a = TOps.Zero;
        long o = 0;
        for (int k = 0; k < cols; k++, o += Step)
        {
            a = TOps.MultiplyAdd(TWiden.LoadWidened(w + o), TOps.Broadcast(x[k]), a);
        }

        Finish(a, c * TOps.Count, scales, y, rowEnd, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourInputsFourVectors(sbyte* values, int cols, int c, float* x, int ldx, float* scales, float* y, int ldy, int rowEnd, bool accumulate)
    {
        sbyte* w0 = Column(values, cols, c), w1 = Column(values, cols, c + 1), w2 = Column(values, cols, c + 2), w3 = Column(values, cols, c + 3);
        float* x0 = x, x1 = x + ldx, x2 = x + (2L * ldx), x3 = x + (3L * ldx);
        TV a00 = TOps.Zero, a01 = TOps.Zero, a02 = TOps.Zero, a03 = TOps.Zero;
        TV a10 = TOps.Zero, a11 = TOps.Zero, a12 = TOps.Zero, a13 = TOps.Zero;
        TV a20 = TOps.Zero, a21 = TOps.Zero, a22 = TOps.Zero, a23 = TOps.Zero;
        TV a30 = TOps.Zero, a31 = TOps.Zero, a32 = TOps.Zero, a33 = TOps.Zero;
        long o = 0;
        for (int k = 0; k < cols; k++, o += Step)
        {
            TV q0 = TWiden.LoadWidened(w0 + o), q1 = TWiden.LoadWidened(w1 + o), q2 = TWiden.LoadWidened(w2 + o), q3 = TWiden.LoadWidened(w3 + o);
            TV b0 = TOps.Broadcast(x0[k]);
            a00 = TOps.MultiplyAdd(q0, b0, a00); a01 = TOps.MultiplyAdd(q1, b0, a01); a02 = TOps.MultiplyAdd(q2, b0, a02); a03 = TOps.MultiplyAdd(q3, b0, a03);
            TV b1 = TOps.Broadcast(x1[k]);
            a10 = TOps.MultiplyAdd(q0, b1, a10); a11 = TOps.MultiplyAdd(q1, b1, a11); a12 = TOps.MultiplyAdd(q2, b1, a12); a13 = TOps.MultiplyAdd(q3, b1, a13);
            TV b2 = TOps.Broadcast(x2[k]);
            a20 = TOps.MultiplyAdd(q0, b2, a20); a21 = TOps.MultiplyAdd(q1, b2, a21); a22 = TOps.MultiplyAdd(q2, b2, a22); a23 = TOps.MultiplyAdd(q3, b2, a23);
            TV b3 = TOps.Broadcast(x3[k]);
            a30 = TOps.MultiplyAdd(q0, b3, a30); a31 = TOps.MultiplyAdd(q1, b3, a31); a32 = TOps.MultiplyAdd(q2, b3, a32); a33 = TOps.MultiplyAdd(q3, b3, a33);
        }

        int r = c * TOps.Count, n = TOps.Count;
        float* y1 = y + ldy, y2 = y + (2L * ldy), y3 = y + (3L * ldy);
        Finish(a00, r, scales, y, rowEnd, accumulate); Finish(a01, r + n, scales, y, rowEnd, accumulate);
        Finish(a02, r + (2 * n), scales, y, rowEnd, accumulate); Finish(a03, r + (3 * n), scales, y, rowEnd, accumulate);
        Finish(a10, r, scales, y1, rowEnd, accumulate); Finish(a11, r + n, scales, y1, rowEnd, accumulate);
        Finish(a12, r + (2 * n), scales, y1, rowEnd, accumulate); Finish(a13, r + (3 * n), scales, y1, rowEnd, accumulate);
        Finish(a20, r, scales, y2, rowEnd, accumulate); Finish(a21, r + n, scales, y2, rowEnd, accumulate);
        Finish(a22, r + (2 * n), scales, y2, rowEnd, accumulate); Finish(a23, r + (3 * n), scales, y2, rowEnd, accumulate);
        Finish(a30, r, scales, y3, rowEnd, accumulate); Finish(a31, r + n, scales, y3, rowEnd, accumulate);
        Finish(a32, r + (2 * n), scales, y3, rowEnd, accumulate); Finish(a33, r + (3 * n), scales, y3, rowEnd, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourInputsOneVector(sbyte* values, int cols, int c, float* x, int ldx, float* scales, float* y, int ldy, int rowEnd, bool accumulate)
    {
        sbyte* w = Column(values, cols, c);
        float* x0 = x, x1 = x + ldx, x2 = x + (2L * ldx), x3 = x + (3L * ldx);
        TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        long o = 0;
        for (int k = 0; k < cols; k++, o += Step)
        {
            TV q = TWiden.LoadWidened(w + o);
            a0 = TOps.MultiplyAdd(q, TOps.Broadcast(x0[k]), a0);
            a1 = TOps.MultiplyAdd(q, TOps.Broadcast(x1[k]), a1);
            a2 = TOps.MultiplyAdd(q, TOps.Broadcast(x2[k]), a2);
            a3 = TOps.MultiplyAdd(q, TOps.Broadcast(x3[k]), a3);
        }

        int r = c * TOps.Count;
        Finish(a0, r, scales, y, rowEnd, accumulate);
        Finish(a1, r, scales, y + ldy, rowEnd, accumulate);
        Finish(a2, r, scales, y + (2L * ldy), rowEnd, accumulate);
        Finish(a3, r, scales, y + (3L * ldy), rowEnd, accumulate);
    }

    /// <summary>
    /// Rows [row, row + n) of one output: y = scale·d, or fma(scale, d, y). The product is taken as fma(scale, d, −0),
    /// which is scale·d exactly, signed zeros included. A vector that runs past <paramref name="rowEnd"/> (the last,
    /// padded panel, or a thread's share) writes only its rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(TV d, int row, float* scales, float* y, int rowEnd, bool accumulate)
    {
        TV s = TOps.Load(scales + row);
        if (row + TOps.Count <= rowEnd)
        {
            TOps.Store(TOps.MultiplyAdd(s, d, accumulate ? TOps.Load(y + row) : TOps.Broadcast(-0f)), y + row);
        }
        else
        {
            FinishPart(d, row, scales, y, rowEnd, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FinishPart(TV d, int row, float* scales, float* y, int rowEnd, bool accumulate)
    {
        float* lanes = stackalloc float[Step];
        TOps.Store(d, lanes);
        for (int i = row; i < rowEnd; i++)
        {
            float lane = lanes[i - row];
            y[i] = accumulate ? MathF.FusedMultiplyAdd(scales[i], lane, y[i]) : scales[i] * lane;
        }
    }
}
