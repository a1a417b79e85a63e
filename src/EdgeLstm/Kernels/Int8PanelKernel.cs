using System.Runtime.CompilerServices;

namespace EdgeLstm.Kernels;

/// <summary>
/// Y (+)= X·Wᵀ with W an <see cref="Int8PanelMatrix"/> (int8, one fp32 scale per output row) and X already quantised
/// per row (<see cref="Int8Activations"/>: int8 values and one scale per row), written once against
/// <see cref="IInt8Dot{TV}"/>. Output rows are int32 lanes; each step adds the dot products of four columns.
/// </summary>
/// <remarks>
/// Every output is d = Σ_k q[i, k]·xq[k] in int32, exact (|d| ≤ 127·127·65536 &lt; 2³¹ at the largest input the
/// model limits allow), then y = float(d)·(scale_i·xScale), or fma(float(d), scale_i·xScale, y) when accumulating. So
/// the batch size, the split of rows between threads, the vector width and the instruction set (VNNI, SDOT or plain
/// shifts) change no bit, and a scalar loop is its exact reference. Batch 1 (the streaming step) runs eight vectors of
/// rows at once (eight independent sums); four inputs at a time share each weight vector between them.
/// </remarks>
internal static unsafe class Int8PanelKernel<TDot, TV>
    where TDot : struct, IInt8Dot<TV>
    where TV : struct
{
    /// <summary>Bytes of one sum vector in memory: 64 holds the widest.</summary>
    private const int SumBytes = 64;

    /// <summary>
    /// y[b·ldy + i] (+)= scales[i]·xScales[b]·Σ_k q[i, k]·xq[b·ldq + k] for rows i in [rowStart, rowEnd) and inputs b
    /// in [0, batch). <paramref name="rowStart"/> is a multiple of <see cref="Int8PanelMatrix.Width"/>.
    /// </summary>
    public static void Compute(Int8PanelMatrix w, sbyte* xq, int ldq, float* xScales, float* y, int ldy, int batch, int rowStart, int rowEnd, bool accumulate)
    {
        int n = TDot.Count;
        int first = rowStart / n, end = (rowEnd + n - 1) / n;
        // Inputs in blocks of four, inner: a pair of row vectors (one 256-bit panel, its groups in sequence) stays in L1
        // while every block of inputs passes over it, so the weights come from memory once whatever the batch.
        int blocks = batch / 4 * 4;
        int c = first;
        for (; c + 2 <= end && blocks > 0; c += 2)
        {
            for (int b4 = 0; b4 < blocks; b4 += 4)
            {
                FourInputsTwoVectors(w, c, xq + ((long)b4 * ldq), ldq, xScales + b4, y + ((long)b4 * ldy), ldy, rowEnd, accumulate);
            }
        }

        for (; c < end; c++)
        {
            for (int i = 0; i < blocks; i++)
            {
                OneInputOneVector(w, c, xq + ((long)i * ldq), xScales[i], y + ((long)i * ldy), rowEnd, accumulate);
            }
        }

        for (int b = blocks; b < batch; b++)
        {
            sbyte* xb = xq + ((long)b * ldq);
            float* yb = y + ((long)b * ldy);
            int v = first;
            for (; v + 8 <= end; v += 8)
            {
                OneInputEightVectors(w, v, xb, xScales[b], yb, rowEnd, accumulate);
            }

            for (; v < end; v++)
            {
                OneInputOneVector(w, v, xb, xScales[b], yb, rowEnd, accumulate);
            }
        }
    }
    /// <summary>Where vector column <paramref name="c"/> (rows c·n … c·n + n − 1) starts: group g of it is 64·g bytes on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static sbyte* Column(Int8PanelMatrix w, int c)
    {
        int n = TDot.Count, perPanel = Int8PanelMatrix.Width / n;
        return w.Values + ((long)(c / perPanel) * w.Groups * Int8PanelMatrix.GroupBytes) + ((c % perPanel) * n * 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Int8PanelMatrix w, TV acc, int c, float xScale, float* y, int rowEnd, bool accumulate)
    {
        int row = c * TDot.Count;
        TDot.Store(acc, w.RowSums + row, w.Scales + row, xScale, y + row, Math.Min(TDot.Count, rowEnd - row), accumulate);
    }

    // The stack buffer is written before it is read: no zeroing on every call of the batch-1 inner loop.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneInputEightVectors(Int8PanelMatrix w, int c, sbyte* x, float xScale, float* y, int rowEnd, bool accumulate)
    {
        sbyte* w0 = Column(w, c), w1 = Column(w, c + 1), w2 = Column(w, c + 2), w3 = Column(w, c + 3);
        sbyte* w4 = Column(w, c + 4), w5 = Column(w, c + 5), w6 = Column(w, c + 6), w7 = Column(w, c + 7);
        TV a0 = TDot.Zero, a1 = TDot.Zero, a2 = TDot.Zero, a3 = TDot.Zero, a4 = TDot.Zero, a5 = TDot.Zero, a6 = TDot.Zero, a7 = TDot.Zero;
        int groups = w.Groups;
        long o = 0;
        for (int g = 0; g < groups; g++, o += Int8PanelMatrix.GroupBytes)
        {
            TV xg = TDot.Broadcast(x + (4 * g));
            a0 = TDot.Dot(a0, w0 + o, xg);
            a1 = TDot.Dot(a1, w1 + o, xg);
            a2 = TDot.Dot(a2, w2 + o, xg);
            a3 = TDot.Dot(a3, w3 + o, xg);
            a4 = TDot.Dot(a4, w4 + o, xg);
            a5 = TDot.Dot(a5, w5 + o, xg);
            a6 = TDot.Dot(a6, w6 + o, xg);
            a7 = TDot.Dot(a7, w7 + o, xg);
        }

        // The sums go to memory before any of them is finished: a sum still in a register across the finish's calls
        // makes the JIT spill every accumulator inside the loop (seen in its disassembly: a store per multiply-add).
        byte* sums = stackalloc byte[8 * SumBytes];
        Unsafe.Write(sums, a0); Unsafe.Write(sums + SumBytes, a1); Unsafe.Write(sums + (2 * SumBytes), a2); Unsafe.Write(sums + (3 * SumBytes), a3);
        Unsafe.Write(sums + (4 * SumBytes), a4); Unsafe.Write(sums + (5 * SumBytes), a5); Unsafe.Write(sums + (6 * SumBytes), a6); Unsafe.Write(sums + (7 * SumBytes), a7);
        for (int j = 0; j < 8; j++)
        {
            Finish(w, Unsafe.Read<TV>(sums + (j * SumBytes)), c + j, xScale, y, rowEnd, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneInputOneVector(Int8PanelMatrix w, int c, sbyte* x, float xScale, float* y, int rowEnd, bool accumulate)
    {
        sbyte* w0 = Column(w, c);
        TV a = TDot.Zero;
        int groups = w.Groups;
        long o = 0;
        for (int g = 0; g < groups; g++, o += Int8PanelMatrix.GroupBytes)
        {
            a = TDot.Dot(a, w0 + o, TDot.Broadcast(x + (4 * g)));
        }

        Finish(w, a, c, xScale, y, rowEnd, accumulate);
    }

    /// <summary>Two vectors of rows against four inputs: 8 accumulators and 4 broadcasts fit the 16 registers VEX (AVX-VNNI) can name.</summary>
    // The stack buffer is written before it is read: no zeroing on every call of the batch-1 inner loop.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourInputsTwoVectors(Int8PanelMatrix w, int c, sbyte* x, int ldq, float* xScales, float* y, int ldy, int rowEnd, bool accumulate)
    {
        sbyte* w0 = Column(w, c), w1 = Column(w, c + 1);
        sbyte* x0 = x, x1 = x + ldq, x2 = x + (2L * ldq), x3 = x + (3L * ldq);
        TV a00 = TDot.Zero, a01 = TDot.Zero, a10 = TDot.Zero, a11 = TDot.Zero;
        TV a20 = TDot.Zero, a21 = TDot.Zero, a30 = TDot.Zero, a31 = TDot.Zero;
        int groups = w.Groups;
        long o = 0;
        for (int g = 0; g < groups; g++, o += Int8PanelMatrix.GroupBytes)
        {
            int k = 4 * g;
            TV b0 = TDot.Broadcast(x0 + k), b1 = TDot.Broadcast(x1 + k), b2 = TDot.Broadcast(x2 + k), b3 = TDot.Broadcast(x3 + k);
            a00 = TDot.Dot(a00, w0 + o, b0); a01 = TDot.Dot(a01, w1 + o, b0);
            a10 = TDot.Dot(a10, w0 + o, b1); a11 = TDot.Dot(a11, w1 + o, b1);
            a20 = TDot.Dot(a20, w0 + o, b2); a21 = TDot.Dot(a21, w1 + o, b2);
            a30 = TDot.Dot(a30, w0 + o, b3); a31 = TDot.Dot(a31, w1 + o, b3);
        }

        // To memory first, as in OneInputEightVectors.
        byte* sums = stackalloc byte[8 * SumBytes];
        Unsafe.Write(sums, a00); Unsafe.Write(sums + SumBytes, a01); Unsafe.Write(sums + (2 * SumBytes), a10); Unsafe.Write(sums + (3 * SumBytes), a11);
        Unsafe.Write(sums + (4 * SumBytes), a20); Unsafe.Write(sums + (5 * SumBytes), a21); Unsafe.Write(sums + (6 * SumBytes), a30); Unsafe.Write(sums + (7 * SumBytes), a31);
        for (int i = 0; i < 4; i++)
        {
            Finish(w, Unsafe.Read<TV>(sums + (2 * i * SumBytes)), c, xScales[i], y + (i * (long)ldy), rowEnd, accumulate);
            Finish(w, Unsafe.Read<TV>(sums + (((2 * i) + 1) * SumBytes)), c + 1, xScales[i], y + (i * (long)ldy), rowEnd, accumulate);
        }
    }
}
