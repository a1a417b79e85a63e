using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// One matrix product described as data, and how to cut it into parts: by column tiles when there are enough of them,
/// otherwise by blocks of four rows. B is fp32 in one of the <see cref="MatMulForm"/>s, or int8 weights
/// (<see cref="Int8"/>): the weight's type, carried here, picks the kernel in <see cref="Compute"/> and nowhere else.
/// Any cut gives the same bits (see <see cref="MatMulKernel{TOps, TV}"/> and <see cref="Int8PanelKernel{TDot, TV}"/>).
/// It knows nothing of threads: whoever runs the parts (the engine's worker pool, or one caller) decides where they run.
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

    /// <summary>
    /// B as int8 weights instead of <see cref="B"/>: C (+)= A·Wᵀ, W [N × K] this matrix, by the integer kernels on A
    /// quantised per row (<see cref="Quantize"/>). Null: B is fp32.
    /// </summary>
    public Int8PanelMatrix? Int8;

    /// <summary>
    /// A second Aᵀ·B over this one's B, computed in the same pass so B is read once for both
    /// (<see cref="MatMulKernel{TOps, TV}.ComputeSharedB"/>): C2 [M2×N] (+)= A2ᵀ·(B's rows from Skip2 on), A2
    /// [(K−Skip2)×M2] with leading dimension Lda2, C2's the same as C's (Ldc). Only with <see cref="Form"/> Aᵀ·B, fp32, and
    /// K &gt; Skip2. Null A2: one product.
    /// </summary>
    public float* A2, C2;

    /// <inheritdoc cref="A2"/>
    public int Lda2, M2, Skip2;

    /// <summary>
    /// With <see cref="A2"/>: receives the sums of B's columns over its K rows (an LSTM layer's bias gradient, from the
    /// gate gradients), taken in the same pass. Null: not wanted.
    /// </summary>
    public float* ColumnSums;

    /// <summary>A's rows quantised for <see cref="Int8"/>, by <see cref="Quantize"/>.</summary>
    private Int8ActivationBuffer? _quantizedA;

    /// <summary>
    /// Multiply-adds in the product, for the caller's decision whether to share it, in fp32 ones: an int8 one counts a
    /// quarter, since it reads a quarter of the weight bytes and one dot-product instruction does four per lane. So
    /// one threshold shares a product at the same cost whatever its weights' type.
    /// </summary>
    public readonly long Work => Int8 is not null ? (long)M * N * K / 4
        : ((long)M * N * K) + (A2 == null ? 0 : (long)M2 * N * (K - Skip2));

    /// <summary>
    /// With int8 weights, quantises A's rows into <paramref name="rows"/> for every part to read: on the caller, once,
    /// before the parts run (<see cref="Width"/> set first). Nothing for fp32 weights or a null A (a skipped product).
    /// </summary>
    public void Quantize(Int8ActivationBuffer rows)
    {
        if (Int8 is null || A == null || M == 0)
        {
            return;
        }

        rows.Quantize(Int8, A, Lda, M, Int8MatVec.Biased(Int8MatVec.Preferred(Width)));
        _quantizedA = rows;
    }

    /// <summary>Computes part <paramref name="part"/> of <paramref name="parts"/> on the calling thread.</summary>
    public readonly void Execute(int part, int parts)
    {
        // Columns are cut at whole tiles of the fp32 kernel, at whole panels of fp32 panelled B (Ldb is the panel
        // width, which may be wider than the tile), or at whole panels of int8 weights (where the integer kernel must start).
        int tileWidth = Int8 is not null ? Int8PanelMatrix.Width
            : Form == MatMulForm.ABPanels ? Math.Max(4 * VectorCount(Width), Ldb) : 4 * VectorCount(Width);
        int columnTiles = (N + tileWidth - 1) / tileWidth;
        if (A2 != null)
        {
            ExecuteShared(part, parts, tileWidth, columnTiles);
        }
        else if (parts == 1)
        {
            Compute(0, M, 0, N);
        }
        else if (columnTiles >= 2 * parts || (Form != MatMulForm.ABt && columnTiles >= parts && M < BlockSplit.RowBlock * parts))
        {
            var (start, end) = BlockSplit.Of(N, tileWidth, part, parts);
            Compute(0, M, start, end);
        }
        else
        {
            var (start, end) = BlockSplit.Rows(M, part, parts);
            Compute(start, end, 0, N);
        }
    }

    /// <summary>
    /// Part <paramref name="part"/> of a product with a second one over its B (<see cref="A2"/>): both products' columns
    /// of the part when there are enough column tiles for every part to take two, sharing their pass over B (and B's
    /// column sums, when asked for, taken in it); otherwise each product's own rows of the part, apart, and the part's
    /// share of the column sums in a pass of their own.
    /// </summary>
    private readonly void ExecuteShared(int part, int parts, int tileWidth, int columnTiles)
    {
        if (parts == 1 || columnTiles >= 2 * parts)
        {
            var (start, end) = parts == 1 ? (0, N) : BlockSplit.Of(N, tileWidth, part, parts);
            switch (Width)
            {
                case SimdWidth.Vector512:
                    MatMulKernel<Vector512Ops, System.Runtime.Intrinsics.Vector512<float>>.ComputeSharedB(A, Lda, M, A2, Lda2, M2, Skip2, B, Ldb, C, C2, Ldc, start, end, K, Accumulate, ColumnSums);
                    break;
                case SimdWidth.Vector256:
                    MatMulKernel<Vector256Ops, System.Runtime.Intrinsics.Vector256<float>>.ComputeSharedB(A, Lda, M, A2, Lda2, M2, Skip2, B, Ldb, C, C2, Ldc, start, end, K, Accumulate, ColumnSums);
                    break;
                default:
                    MatMulKernel<Vector128Ops, System.Runtime.Intrinsics.Vector128<float>>.ComputeSharedB(A, Lda, M, A2, Lda2, M2, Skip2, B, Ldb, C, C2, Ldc, start, end, K, Accumulate, ColumnSums);
                    break;
            }

            return;
        }

        var (rowStart, rowEnd) = BlockSplit.Rows(M, part, parts);
        ComputeRange(Form, A, Lda, B, Ldb, C, Ldc, rowStart, rowEnd, 0, N, K, Accumulate, Width);
        var (rowStart2, rowEnd2) = BlockSplit.Rows(M2, part, parts);
        ComputeRange(Form, A2, Lda2, B + ((long)Skip2 * Ldb), Ldb, C2, Ldc, rowStart2, rowEnd2, 0, N, K - Skip2, Accumulate, Width);
        if (ColumnSums != null)
        {
            var (start, end) = BlockSplit.Of(N, tileWidth, part, parts);
            RowSum.Accumulate(B, Ldb, K, start, end, ColumnSums, first: true);
        }
    }

    /// <summary>
    /// Rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) and columns [<paramref name="colStart"/>,
    /// <paramref name="colEnd"/>) of C on the calling thread, by the kernel of B's type. With int8 weights the columns
    /// start at a whole panel (<see cref="Int8PanelMatrix.Width"/>) and A has been quantised.
    /// </summary>
    public readonly void Compute(int rowStart, int rowEnd, int colStart, int colEnd)
    {
        if (Int8 is { } w)
        {
            var q = _quantizedA!;
            Int8MatVec.Run(w, q.Values + ((long)rowStart * q.Stride), q.Stride, q.Scales + rowStart, C + ((long)rowStart * Ldc), Ldc, rowEnd - rowStart, colStart, colEnd, Accumulate, Int8MatVec.Preferred(Width));
            return;
        }

        ComputeRange(Form, A, Lda, B, Ldb, C, Ldc, rowStart, rowEnd, colStart, colEnd, K, Accumulate, Width, Descending);
    }

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
