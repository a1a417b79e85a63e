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

    /// <summary>Visit B's column groups last to first (see <see cref="ComputeRange"/>); the values do not change.</summary>
    public bool Descending;

    /// <summary>Multiply-adds in the product, for the caller's decision whether to share it.</summary>
    public readonly long Work => (long)M * N * K;

    /// <summary>Computes part <paramref name="part"/> of <paramref name="parts"/> on the calling thread.</summary>
    public readonly void Execute(int part, int parts)
    {
        // Panelled B is cut at panel edges (Ldb is the panel width), which may be wider than the tile.
        int tileWidth = Form == MatMulForm.ABPanels ? Math.Max(4 * VectorCount(Width), Ldb) : 4 * VectorCount(Width);
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
        => ComputeRange(Form, A, Lda, B, Ldb, C, Ldc, rowStart, rowEnd, colStart, colEnd, K, Accumulate, Width, Descending);

    /// <summary>Computes one rectangle of C on the calling thread.</summary>
    /// <param name="descending">
    /// With panelled B, visit its column groups from the last to the first. A caller that re-reads the same weights at
    /// every step (batch-1 inference) alternates the direction: what one step read last is what is still in the cache,
    /// and the next step starts there. Every element of C is the same chain of multiply-adds in either order.
    /// </param>
    public static void ComputeRange(MatMulForm form, float* a, int lda, float* b, int ldb, float* c, int ldc, int rowStart, int rowEnd, int colStart, int colEnd, int k, bool accumulate, SimdWidth width, bool descending = false)
    {
        if (rowStart >= rowEnd || colStart >= colEnd)
        {
            return;
        }

        switch (width)
        {
            case SimdWidth.Vector512:
                ComputeRange<Vector512Ops, System.Runtime.Intrinsics.Vector512<float>>(form, a, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate, descending);
                break;
            case SimdWidth.Vector256:
                ComputeRange<Vector256Ops, System.Runtime.Intrinsics.Vector256<float>>(form, a, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate, descending);
                break;
            default:
                ComputeRange<Vector128Ops, System.Runtime.Intrinsics.Vector128<float>>(form, a, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate, descending);
                break;
        }
    }

    private static void ComputeRange<TOps, TV>(MatMulForm form, float* a, int lda, float* b, int ldb, float* c, int ldc, int rowStart, int rowEnd, int colStart, int colEnd, int k, bool accumulate, bool descending)
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
                // B in panels of ldb columns (WeightPanels), and column ranges of whole panels. The 512-bit 4×4 tile
                // (64 columns) takes one wide panel, or four narrow ones side by side, at a time; leftover panels,
                // and other widths, go one panel at a time as a row-major B of ldb columns. Rows are taken a block
                // at a time, so the slice of A they read stays in L2 across every group. Descending runs the same
                // loops backwards, the leftover panels first.
                int panelWidth = ldb;
                int groupWidth = 4 * TOps.Count;
                bool grouped = groupWidth == WeightPanels.Wide && (panelWidth == WeightPanels.Wide || panelWidth == TOps.Count);
                int groups = grouped ? (colEnd - colStart) / groupWidth : 0;
                int first = colStart + (groups * groupWidth);
                int leftovers = (colEnd - first) / panelWidth;
                if (descending)
                {
                    LeftoverPanels<TOps, TV>(a, lda, b, panelWidth, c, ldc, rowStart, rowEnd, first, leftovers, k, accumulate, descending);
                }

                for (int r0 = rowStart; r0 < rowEnd && groups > 0; r0 += MatMulKernel<TOps, TV>.PanelGroupRows)
                {
                    int r1 = Math.Min(r0 + MatMulKernel<TOps, TV>.PanelGroupRows, rowEnd);
                    for (int g = 0; g < groups; g++)
                    {
                        int j = colStart + ((descending ? groups - 1 - g : g) * groupWidth);
                        float* group = b + ((long)(j / panelWidth) * k * panelWidth);
                        MatMulKernel<TOps, TV>.ComputePanelGroup(a, lda, group, panelWidth, k, c + j, ldc, r0, r1, accumulate);
                    }
                }

                if (!descending)
                {
                    LeftoverPanels<TOps, TV>(a, lda, b, panelWidth, c, ldc, rowStart, rowEnd, first, leftovers, k, accumulate, descending);
                }

                break;
            default:
                MatMulKernel<TOps, TV>.ComputeTransposedB(a, lda, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, k, accumulate);
                break;
        }
    }

    /// <summary>
    /// Panels of <paramref name="panelWidth"/> columns one at a time from column <paramref name="first"/>, each a
    /// row-major B [k×panelWidth]: every panel at widths other than 512 bits.
    /// </summary>
    private static void LeftoverPanels<TOps, TV>(float* a, int lda, float* b, int panelWidth, float* c, int ldc, int rowStart, int rowEnd, int first, int panels, int k, bool accumulate, bool descending)
        where TOps : struct, IVectorOps<TV>
        where TV : struct
    {
        for (int i = 0; i < panels; i++)
        {
            int j = first + ((descending ? panels - 1 - i : i) * panelWidth);
            float* panel = b + ((long)(j / panelWidth) * k * panelWidth);
            MatMulKernel<TOps, TV>.Compute(a, lda, 1, panel, panelWidth, c + j, ldc, rowStart, rowEnd, 0, panelWidth, k, accumulate);
        }
    }

    private static int VectorCount(SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => 16,
        SimdWidth.Vector256 => 8,
        _ => 4,
    };
}
