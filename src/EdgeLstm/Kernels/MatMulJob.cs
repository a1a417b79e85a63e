using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Kernels;

/// <summary>The three product forms the LSTM needs.</summary>
internal enum MatMulForm
{
    /// <summary>C = A·B, A [m×k], B [k×n].</summary>
    AB,

    /// <summary>C = Aᵀ·B, A [k×m], B [k×n].</summary>
    AtB,

    /// <summary>C = A·Bᵀ, A [m×k], B [n×k].</summary>
    ABt,

    /// <summary>
    /// C = A·B with B [k×n] stored as <see cref="WeightPanels.Width"/>-column panels, each k rows contiguous (see
    /// <see cref="WeightPanels"/>): the same products as <see cref="AB"/>, bit for bit, with B streamed sequentially.
    /// </summary>
    ABPanels,
}

/// <summary>
/// One matrix product split between the threads of a pool: by column tiles when there are enough of them, otherwise by
/// blocks of four rows. Any split gives the same bits (see <see cref="MatMulKernel{TOps, TV}"/>).
/// </summary>
internal sealed unsafe class MatMulJob : IParallelJob
{
    // Below this many multiply-adds (about 10 µs of work) a product runs on the caller alone: splitting it saves at most
    // a few microseconds, while a worker that the OS has descheduled (a busy or shared machine) costs a whole time slice.
    // The tests lower it to 0 so that every parallel path runs on their small shapes too.
    internal static long ParallelThreshold { get; set; } = 512 * 1024;

    private MatMulForm _form;
    private float* _a, _b, _c;
    private int _m, _n, _k, _lda, _ldb, _ldc;
    private bool _accumulate;
    private SimdWidth _width;

    public void Run(WorkerPool? pool, MatMulForm form, float* a, int lda, float* b, int ldb, float* c, int ldc, int m, int n, int k, bool accumulate, SimdWidth width)
    {
        _form = form;
        _a = a; _b = b; _c = c;
        _lda = lda; _ldb = ldb; _ldc = ldc;
        _m = m; _n = n; _k = k;
        _accumulate = accumulate;
        _width = width;
        if (pool is null || pool.Threads == 1 || (long)m * n * k < ParallelThreshold)
        {
            Execute(0, 1);
        }
        else
        {
            pool.Run(this);
        }
    }

    public void Execute(int part, int parts)
    {
        int tileWidth = 4 * VectorCount(_width);
        int columnTiles = (_n + tileWidth - 1) / tileWidth;
        if (parts == 1)
        {
            Compute(0, _m, 0, _n);
        }
        else if (columnTiles >= 2 * parts || (_form != MatMulForm.ABt && columnTiles >= parts && _m < 4 * parts))
        {
            int first = (int)((long)columnTiles * part / parts);
            int last = (int)((long)columnTiles * (part + 1) / parts);
            Compute(0, _m, first * tileWidth, Math.Min(last * tileWidth, _n));
        }
        else
        {
            int rowBlocks = (_m + 3) / 4;
            int first = (int)((long)rowBlocks * part / parts);
            int last = (int)((long)rowBlocks * (part + 1) / parts);
            Compute(first * 4, Math.Min(last * 4, _m), 0, _n);
        }
    }

    private void Compute(int rowStart, int rowEnd, int colStart, int colEnd)
        => ComputeRange(_form, _a, _lda, _b, _ldb, _c, _ldc, rowStart, rowEnd, colStart, colEnd, _k, _accumulate, _width);

    /// <summary>Computes one rectangle of C on the calling thread.</summary>
    public static void ComputeRange(MatMulForm form, float* a, int lda, float* b, int ldb, float* c, int ldc, int rowStart, int rowEnd, int colStart, int colEnd, int k, bool accumulate, SimdWidth width)
    {
        if (rowStart >= rowEnd || colStart >= colEnd)
        {
            return;
        }

        switch (width)
        {
            case SimdWidth.Vector512:
                ComputeRange<Vector512Ops, System.Runtime.Intrinsics.Vector512<float>>(form, a, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate);
                break;
            case SimdWidth.Vector256:
                ComputeRange<Vector256Ops, System.Runtime.Intrinsics.Vector256<float>>(form, a, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate);
                break;
            default:
                ComputeRange<Vector128Ops, System.Runtime.Intrinsics.Vector128<float>>(form, a, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate);
                break;
        }
    }

    private static void ComputeRange<TOps, TV>(MatMulForm form, float* a, int lda, float* b, int ldb, float* c, int ldc, int rowStart, int rowEnd, int colStart, int colEnd, int k, bool accumulate)
        where TOps : struct, IVectorOps<TV>
        where TV : struct
    {
        switch (form)
        {
            case MatMulForm.AB:
                MatMulKernel<TOps, TV>.Compute(a, lda, 1, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate);
                break;
            case MatMulForm.AtB:
                MatMulKernel<TOps, TV>.Compute(a, 1, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate);
                break;
            case MatMulForm.ABPanels:
                // Column ranges are whole panels: every split of the columns is in multiples of the tile width. 512-bit
                // vectors take four panels (one 64-column tile) at a time; leftover panels, and other widths, one.
                // Rows are taken a panel at a time, so the slice of A they read stays in L2 across every group.
                int first = colStart;
                if (TOps.Count == WeightPanels.Width)
                {
                    int groupsEnd = colStart + ((colEnd - colStart) / (4 * WeightPanels.Width) * 4 * WeightPanels.Width);
                    for (int r0 = rowStart; r0 < rowEnd; r0 += MatMulKernel<TOps, TV>.PanelGroupRows)
                    {
                        int r1 = Math.Min(r0 + MatMulKernel<TOps, TV>.PanelGroupRows, rowEnd);
                        for (int j = colStart; j < groupsEnd; j += 4 * WeightPanels.Width)
                        {
                            float* group = b + ((long)(j / WeightPanels.Width) * k * WeightPanels.Width);
                            MatMulKernel<TOps, TV>.ComputePanelGroup(a, lda, group, k, c + j, ldc, r0, r1, accumulate);
                        }
                    }

                    first = groupsEnd;
                }

                for (int j = first; j < colEnd; j += WeightPanels.Width)
                {
                    float* panel = b + ((long)(j / WeightPanels.Width) * k * WeightPanels.Width);
                    MatMulKernel<TOps, TV>.Compute(a, lda, 1, panel, WeightPanels.Width, c + j, ldc, rowStart, rowEnd, 0, WeightPanels.Width, k, accumulate);
                }

                break;
            default:
                MatMulKernel<TOps, TV>.ComputeTransposedB(a, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate);
                break;
        }
    }

    private static int VectorCount(SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => 16,
        SimdWidth.Vector256 => 8,
        _ => 4,
    };
}
