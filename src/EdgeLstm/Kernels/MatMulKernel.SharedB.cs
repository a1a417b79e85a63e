using System.Runtime.CompilerServices;

namespace EdgeLstm.Kernels;

/// <summary>Two Aᵀ·B products over one B, in one pass over B (see <see cref="ComputeSharedB"/>).</summary>
internal static unsafe partial class MatMulKernel<TOps, TV>
{
    // Rows of both products together that one pass takes: their C (at most 512 × 1024 floats, 2 MB, for the recipe's
    // second layer) is read and written once per depth chunk, as a single product's is, so past this the two run apart.
    private const int SharedRowsMax = 512;

    /// <summary>
    /// C (+)= A[depth×rows]ᵀ·B and C2 (+)= A2[(depth−skip2)×rows2]ᵀ·B[skip2.., :], columns [colStart, colEnd) of both,
    /// with B read and packed once for the two. A layer's two weight gradients are such a pair (dW_ihᵀ = xᵀ·dG and
    /// dW_hhᵀ = Σ h_{t−1}ᵀ·dG_t, whose rows of dG start one step later): B is the gate gradients, too large for L2
    /// (7.3 MB for the recipe), and as two products every packed slice of it came from L3 twice, the second time for a
    /// first layer of a few input columns only (28 for MNIST rows: 0.85 ms at 54 % of the peak in place).
    /// Every element is the chain of multiply-adds its own product computes alone (the depth chunks of the second start
    /// where its rows of B start, and each chain passes through C between chunks exactly): the same bits.
    /// With <paramref name="columnSums"/>, the same pass also sums each of those columns of B over its
    /// <paramref name="depth"/> rows (an LSTM layer's bias gradient): in row order from zero, as <see cref="RowSum"/> does.
    /// </summary>
    public static void ComputeSharedB(
        float* a, int lda, int rows,
        float* a2, int lda2, int rows2, int skip2,
        float* b, int ldb,
        float* c, float* c2, int ldc,
        int colStart, int colEnd, int depth, bool accumulate, float* columnSums)
    {
        bool packs = (TOps.Count == 16 || TOps.Count == 8)
            && rows + rows2 >= PackMinimumRows && rows + rows2 <= SharedRowsMax
            && colEnd - colStart >= PackedTileWidth && ldb != PackedTileWidth;
        if (!packs)
        {
            Compute(a, 1, lda, b, ldb, c, ldc, 0, rows, colStart, colEnd, depth, accumulate);
            Compute(a2, 1, lda2, b + ((long)skip2 * ldb), ldb, c2, ldc, 0, rows2, colStart, colEnd, depth - skip2, accumulate);
            if (columnSums != null)
            {
                RowSum.Accumulate(b, ldb, depth, colStart, colEnd, columnSums, first: true);
            }

            return;
        }

        ComputeSharedPacked(a, lda, rows, a2, lda2, rows2, skip2, b, ldb, c, c2, ldc, colStart, colEnd, depth, accumulate, columnSums);
    }

    [SkipLocalsInit]
    private static void ComputeSharedPacked(
        float* a, int lda, int rows,
        float* a2, int lda2, int rows2, int skip2,
        float* b, int ldb,
        float* c, float* c2, int ldc,
        int colStart, int colEnd, int depth, bool accumulate, float* columnSums)
    {
        int tileWidth = PackedTileWidth;
        float* raw = stackalloc float[(PackedDepthChunk * TileVectors * 16) + 16];
        float* packed = (float*)(((nint)raw + 63) & ~(nint)63);
        int fullEnd = colStart + ((colEnd - colStart) / tileWidth * tileWidth);
        for (int p0 = 0; p0 < depth; p0 += PackedDepthChunk)
        {
            int pc = Math.Min(PackedDepthChunk, depth - p0);
            float* ap = a + ((long)p0 * lda);
            float* bp = b + ((long)p0 * ldb);
            bool acc = accumulate || p0 > 0;

            // The second product's share of this chunk: the chunk's rows of B from skip2 on.
            int first2 = Math.Max(p0, skip2);
            int pc2 = p0 + pc - first2;
            float* ap2 = a2 + ((long)(first2 - skip2) * lda2);
            bool acc2 = accumulate || first2 > skip2;
            for (int j = colStart; j < fullEnd; j += tileWidth)
            {
                if (columnSums != null)
                {
                    PackSliceSumming(bp + j, ldb, pc, packed, columnSums + j, first: p0 == 0);
                }
                else
                {
                    PackSlice(bp + j, ldb, pc, packed);
                }

                PackedRowTiles(ap, 1, lda, packed, c + j, ldc, 0, rows, pc, acc);
                if (pc2 > 0)
                {
                    PackedRowTiles(ap2, 1, lda2, packed + ((first2 - p0) * tileWidth), c2 + j, ldc, 0, rows2, pc2, acc2);
                }
            }

            ComputeNarrowColumns(ap, 1, lda, bp, ldb, c, ldc, 0, rows, fullEnd, colEnd, pc, acc);
            if (columnSums != null && fullEnd < colEnd)
            {
                RowSum.Accumulate(bp, ldb, pc, fullEnd, colEnd, columnSums, first: p0 == 0);
            }

            if (pc2 > 0)
            {
                ComputeNarrowColumns(ap2, 1, lda2, b + ((long)first2 * ldb), ldb, c2, ldc, 0, rows2, fullEnd, colEnd, pc2, acc2);
            }
        }
    }

    /// <summary>
    /// <see cref="PackSlice"/>, adding each row to the slice's column sums on the way (the values are in registers
    /// already): from zero at the first chunk of depth, continuing them after.
    /// </summary>
    private static void PackSliceSumming(float* source, int ldb, int depth, float* packed, float* sums, bool first)
    {
        int w = TOps.Count;
        int tileWidth = PackedTileWidth;
        TV s0 = first ? TOps.Zero : TOps.Load(sums), s1 = first ? TOps.Zero : TOps.Load(sums + w);
        TV s2 = tileWidth > 2 * w ? (first ? TOps.Zero : TOps.Load(sums + (2 * w))) : TOps.Zero;
        TV s3 = tileWidth > 2 * w ? (first ? TOps.Zero : TOps.Load(sums + (3 * w))) : TOps.Zero;
        for (int p = 0; p < depth; p++)
        {
            float* row = source + ((long)p * ldb);
            float* target = packed + (p * tileWidth);
            TV v0 = TOps.Load(row), v1 = TOps.Load(row + w);
            TOps.Store(v0, target);
            TOps.Store(v1, target + w);
            s0 = TOps.Add(s0, v0);
            s1 = TOps.Add(s1, v1);
            if (tileWidth > 2 * w)
            {
                TV v2 = TOps.Load(row + (2 * w)), v3 = TOps.Load(row + (3 * w));
                TOps.Store(v2, target + (2 * w));
                TOps.Store(v3, target + (3 * w));
                s2 = TOps.Add(s2, v2);
                s3 = TOps.Add(s3, v3);
            }
        }

        TOps.Store(s0, sums);
        TOps.Store(s1, sums + w);
        if (tileWidth > 2 * w)
        {
            TOps.Store(s2, sums + (2 * w));
            TOps.Store(s3, sums + (3 * w));
        }
    }
}
