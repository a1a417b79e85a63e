using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// One matrix product described as data, and how to cut it into parts: by column tiles when there are enough of them,
/// otherwise by blocks of four rows. Any cut gives the same bits (see <see cref="MatMulKernel{TOps, TV}"/>). It knows
/// nothing of threads: whoever runs the parts (the engine's worker pool, or one caller) decides where they run.
/// </summary>
internal unsafe struct MatMulJob
{
    public MatMulForm Form;
    public float* A, B, C;
    public int Lda, Ldb, Ldc, M, N, K;
    public bool Accumulate;
    public SimdWidth Width;

    /// <summary>Multiply-adds in the product, for the caller's decision whether to share it.</summary>
    public readonly long Work => (long)M * N * K;

    /// <summary>Computes part <paramref name="part"/> of <paramref name="parts"/> on the calling thread.</summary>
    public readonly void Execute(int part, int parts)
    {
        int tileWidth = 4 * VectorCount(Width);
        int columnTiles = (N + tileWidth - 1) / tileWidth;
        if (parts == 1)
        {
            Compute(0, M, 0, N);
        }
        else if (columnTiles >= 2 * parts || (Form != MatMulForm.ABt && columnTiles >= parts && M < 4 * parts))
        {
            int first = (int)((long)columnTiles * part / parts);
            int last = (int)((long)columnTiles * (part + 1) / parts);
            Compute(0, M, first * tileWidth, Math.Min(last * tileWidth, N));
        }
        else
        {
            int rowBlocks = (M + 3) / 4;
            int first = (int)((long)rowBlocks * part / parts);
            int last = (int)((long)rowBlocks * (part + 1) / parts);
            Compute(first * 4, Math.Min(last * 4, M), 0, N);
        }
    }

    private readonly void Compute(int rowStart, int rowEnd, int colStart, int colEnd)
        => ComputeRange(Form, A, Lda, B, Ldb, C, Ldc, rowStart, rowEnd, colStart, colEnd, K, Accumulate, Width);

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
