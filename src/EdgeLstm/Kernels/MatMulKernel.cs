using System.Runtime.CompilerServices;
using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// The register-blocked product C (+)= A·B over a rectangle of C, written once against <see cref="IVectorOps{TV}"/>.
/// A is addressed through strides, A(i, p) = a[i·rowStride + p·depthStride], so the same micro-kernel serves A·B
/// (depthStride 1) and Aᵀ·B (rowStride 1). B is row-major with leading dimension ldb.
/// </summary>
/// <remarks>
/// The micro-kernel keeps a tile of C in registers: 4 rows × 4 vectors (16 accumulators) where there are 32 vector
/// registers (NEON, AVX-512), 6 rows × 2 vectors (12) for 256-bit vectors on AVX2's 16; it broadcasts one value of A
/// per row and streams a row of B per step of the depth. Every element of C, whichever body computes it (4 rows or 1, vector or scalar tail), is the same chain of
/// fused multiply-adds in depth order, starting from C (accumulate) or from 0: results do not depend on how C is split
/// between threads, which is what makes training bit-identical for any thread count.
/// </remarks>
internal static unsafe partial class MatMulKernel<TOps, TV>
    where TOps : struct, IVectorOps<TV>
    where TV : struct
{
    private const int TileRows = 4;
    private const int TileVectors = 4;

    // Cache blocking, without packing: the depth is cut into chunks so the slice of B that a column tile streams
    // (chunk × tile width floats, 16 KB) stays in L1 while every row tile of a panel reuses it, and rows are taken a
    // panel at a time so the slice of A they read stays in L2 across all column tiles. The chunks of every element are
    // summed in the same order whatever the split, so the results stay bit-identical.
    private const int PanelRows = 60;

    private static int DepthChunk => TOps.Count == 8 ? 256 : 4096 / (TileVectors * TOps.Count);

    // 512-bit vectors: a 4×4 tile is 64 columns, four cache lines per row of B, and rows of B a power-of-two stride
    // apart (4 KB for 1024 columns) all fall in the same few L1 sets, so the slice a tile streams never stays in L1
    // however short the depth chunk. Such products copy each chunk × 64 slice of B once into a contiguous buffer on the
    // stack and run every row tile against it. The same tiles, the same depth chunks, the same order of multiply-adds:
    // the bits do not change, only where B is read from.
    // 256-bit vectors do the same (a 16-column slice, the 6×2 tile) for Aᵀ·B, where B is the gate gradients, G·H floats
    // a row (the recipe's weight gradients went from 67–73 to 80–89 % of the 256-bit peak in place, on a Zen 5 with
    // AVX-512 switched off; the training iteration 0.934 of the time, the GRU's 0.99), and for A·B whose B rows are a
    // multiple of 4 KB apart (row-major 1024-column weights, `kernels` mode: 53–65 → 86–95 %). For A·B over a weight
    // 1 KB a row (the backward step's W_hh) packing measured slower (82 against 87 %).
    private const int PackedDepthChunk = 128;
    private const int OneL1SetStride = 4096 / sizeof(float);
    private const int PackMinimumRows = 8;

    // Rows per panel: as many as keep the panel's rows of C within 1 MB (the L2 of the AVX-512 machines measured), at
    // most 256 (the slice of A a depth chunk reads, 256 × 128 floats = 128 KB), both in whole tiles. Every panel streams all of B again, and
    // in the training iteration's weight gradients B is the big matrix (dG, T·B × 4H, 7.3 MB for the recipe): panels of
    // 256 rows read it once where panels of C within 256 KB (64 rows) read it four times, and the iteration took
    // 0.96-0.975 of the time on one thread, 0.99 on two (perf/README.md).
    private const int PackedPanelBytes = 1024 * 1024;
    private const int PackedPanelRowsMax = 256;

    /// <summary>
    /// Rows per pass over the panel groups of a product with panelled B: their slice of A (at most 192 × k floats, 192 KB
    /// for k = 256) stays in L2 while every group of B streams past it.
    /// </summary>
    public const int PanelGroupRows = 192;

    /// <summary>Computes rows [rowStart, rowEnd) × columns [colStart, colEnd) of C.</summary>
    public static void Compute(
        float* a, int rowStride, int depthStride,
        float* b, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int colStart, int colEnd, int depth, bool accumulate)
    {
        if ((TOps.Count == 16 || (TOps.Count == 8 && (depthStride != 1 || ldb % OneL1SetStride == 0))) && rowEnd - rowStart >= PackMinimumRows && colEnd - colStart >= PackedTileWidth && ldb != PackedTileWidth)
        {
            ComputePacked(a, rowStride, depthStride, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, depth, accumulate);
            return;
        }

        int chunk = DepthChunk;
        for (int p0 = 0; p0 < depth; p0 += chunk)
        {
            int pc = Math.Min(chunk, depth - p0);
            float* ap = a + ((long)p0 * depthStride);
            float* bp = b + ((long)p0 * ldb);
            bool acc = accumulate || p0 > 0;
            for (int r0 = rowStart; r0 < rowEnd; r0 += PanelRows)
            {
                ComputeBlock(ap, rowStride, depthStride, bp, ldb, c, ldc, r0, Math.Min(r0 + PanelRows, rowEnd), colStart, colEnd, pc, acc);
            }
        }
    }

    /// <summary>Columns of the packed path's tile: 4 × 16 at 512 bits, the 6×2 tile's 2 × 8 at 256.</summary>
    private static int PackedTileWidth => (TOps.Count == 8 ? 2 : TileVectors) * TOps.Count;

    /// <summary>Rows of the packed path's tile: 4 at 512 bits, 6 at 256.</summary>
    private static int PackedTileRows => TOps.Count == 8 ? 6 : TileRows;

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    [SkipLocalsInit]
    private static void ComputePacked(
        float* a, int rowStride, int depthStride,
        float* b, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int colStart, int colEnd, int depth, bool accumulate)
    {
        int tileWidth = PackedTileWidth;
        int tileRows = PackedTileRows;
        float* raw = stackalloc float[(PackedDepthChunk * TileVectors * 16) + 16];
        float* packed = (float*)(((nint)raw + 63) & ~(nint)63);
        int fullEnd = colStart + ((colEnd - colStart) / tileWidth * tileWidth);

        // Row panels outermost, so the panel's rows of C (at most PackedPanelBytes) stay near the core across the depth
        // chunks instead of making a round trip to memory per chunk; B is read and packed again per panel.
        // Both bounds round up to whole tiles, so 256 rows are one panel of 6-row tiles too (258 rows, C 1.03 MB) rather
        // than 252 and a second panel of 4 that streams all of B again for them.
        int budget = PackedPanelBytes / (sizeof(float) * (colEnd - colStart));
        int panelRows = Math.Clamp(RoundUp(budget, tileRows), 4 * tileRows, RoundUp(PackedPanelRowsMax, tileRows));
        for (int r0 = rowStart; r0 < rowEnd; r0 += panelRows)
        {
            int r1 = Math.Min(r0 + panelRows, rowEnd);
            for (int p0 = 0; p0 < depth; p0 += PackedDepthChunk)
            {
                int pc = Math.Min(PackedDepthChunk, depth - p0);
                float* ap = a + ((long)p0 * depthStride);
                float* bp = b + ((long)p0 * ldb);
                bool acc = accumulate || p0 > 0;
                ComputePackedPanel(ap, rowStride, depthStride, bp, ldb, c, ldc, r0, r1, colStart, fullEnd, pc, acc, packed);
                ComputeNarrowColumns(ap, rowStride, depthStride, bp, ldb, c, ldc, r0, r1, fullEnd, colEnd, pc, acc);
            }
        }
    }

    /// <summary>Rows [rowStart, rowEnd) of whole 64-column tiles in [colStart, colEnd), one depth chunk, B packed tile by tile.</summary>
    private static void ComputePackedPanel(
        float* ap, int rowStride, int depthStride,
        float* bp, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int colStart, int colEnd, int pc, bool acc, float* packed)
    {
        for (int j = colStart; j < colEnd; j += PackedTileWidth)
        {
            PackSlice(bp + j, ldb, pc, packed);
            PackedRowTiles(ap, rowStride, depthStride, packed, c + j, ldc, rowStart, rowEnd, pc, acc);
        }
    }

    /// <summary>Copies <paramref name="depth"/> rows of the tile-wide column slice at <paramref name="source"/> into <paramref name="packed"/>, contiguously.</summary>
    private static void PackSlice(float* source, int ldb, int depth, float* packed)
    {
        int w = TOps.Count;
        int tileWidth = PackedTileWidth;
        for (int p = 0; p < depth; p++)
        {
            float* row = source + ((long)p * ldb);
            float* target = packed + (p * tileWidth);
            for (int v = 0; v < tileWidth; v += w)
            {
                TOps.Store(TOps.Load(row + v), target + v);
            }
        }
    }

    /// <summary>Rows [rowStart, rowEnd) of C's tile-wide column slice at <paramref name="c"/> against one packed slice of B, <paramref name="pc"/> deep.</summary>
    private static void PackedRowTiles(float* ap, int rowStride, int depthStride, float* packed, float* c, int ldc, int rowStart, int rowEnd, int pc, bool acc)
    {
        int w = TOps.Count;
        int tileWidth = PackedTileWidth;
        if (TOps.Count == 8)
        {
            RowTiles6x2(ap, rowStride, depthStride, packed, tileWidth, c, ldc, rowStart, rowEnd, pc, acc);
            return;
        }

        int i = rowStart;
        for (; i + TileRows <= rowEnd; i += TileRows)
        {
            Tile4x4(ap + (i * rowStride), rowStride, depthStride, packed, tileWidth, w, c + (i * ldc), ldc, pc, acc);
        }

        for (; i < rowEnd; i++)
        {
            Tile1x4(ap + (i * rowStride), depthStride, packed, tileWidth, w, c + (i * ldc), pc, acc);
        }
    }

    /// <summary>
    /// 512-bit vectors over B stored in panels (<see cref="WeightPanels"/>): rows [rowStart, rowEnd) × the 64 columns
    /// starting at <paramref name="panels"/>: one wide panel (<paramref name="panelWidth"/> 64, each depth row of the
    /// four vectors contiguous: one sequential stream) or four narrow ones side by side (16: four streams, one vector
    /// from each). At batch 1 the product is bound by how fast the weights arrive, and a row-major B 4 KB per row
    /// defeats the prefetcher. Same tiles, same order of multiply-adds as the row-major path: the same bits.
    /// </summary>
    public static void ComputePanelGroup(float* a, int lda, float* panels, int panelWidth, int depth, float* c, int ldc, int rowStart, int rowEnd, bool accumulate)
    {
        int w = TOps.Count;

        // ldb steps one depth row down a panel; vectorStride steps from one of the tile's vectors to the next.
        int ldb = panelWidth;
        int vectorStride = panelWidth == w ? depth * w : w;
        for (int p0 = 0; p0 < depth; p0 += PackedDepthChunk)
        {
            int pc = Math.Min(PackedDepthChunk, depth - p0);
            float* ap = a + p0;
            float* bp = panels + ((long)p0 * ldb);
            bool acc = accumulate || p0 > 0;
            int i = rowStart;
            for (; i + TileRows <= rowEnd; i += TileRows)
            {
                Tile4x4(ap + (i * lda), lda, 1, bp, ldb, vectorStride, c + (i * ldc), ldc, pc, acc);
            }

            for (; i < rowEnd; i++)
            {
                Tile1x4(ap + (i * lda), 1, bp, ldb, vectorStride, c + (i * ldc), pc, acc);
            }
        }
    }

    private static void ComputeBlock(
        float* a, int rowStride, int depthStride,
        float* b, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int colStart, int colEnd, int depth, bool accumulate)
    {
        // x64 without AVX-512 has 16 vector registers: a 4×4 tile (16 accumulators, plus the row of B and the
        // broadcast) would spill, so 256-bit vectors use the classic 6×2 tile (12 accumulators). NEON and AVX-512 have
        // 32 registers and keep 4×4. TOps.Count is a constant per width, so only one branch is compiled.
        // One or two rows (a matrix-vector product) gain nothing from the 6×2 tile; the 1×4 tile streams twice the
        // columns of B per pass.
        if (TOps.Count == 8 && (rowEnd - rowStart >= 3 || colEnd - colStart < TileVectors * TOps.Count))
        {
            ComputeBlock6x2(a, rowStride, depthStride, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, depth, accumulate);
        }
        else
        {
            ComputeBlock4x4(a, rowStride, depthStride, b, ldb, c, ldc, rowStart, rowEnd, colStart, colEnd, depth, accumulate);
        }
    }

    private static void ComputeBlock6x2(
        float* a, int rowStride, int depthStride,
        float* b, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int colStart, int colEnd, int depth, bool accumulate)
    {
        int w = TOps.Count;
        int tileWidth = 2 * w;
        int j = colStart;
        for (; j + tileWidth <= colEnd; j += tileWidth)
        {
            RowTiles6x2(a, rowStride, depthStride, b + j, ldb, c + j, ldc, rowStart, rowEnd, depth, accumulate);
        }

        ComputeNarrowColumns(a, rowStride, depthStride, b, ldb, c, ldc, rowStart, rowEnd, j, colEnd, depth, accumulate);
    }

    /// <summary>Rows [rowStart, rowEnd) of one 2-vector column slice in 6×2 tiles, then the leftover rows in the widest tile that fits.</summary>
    private static void RowTiles6x2(float* a, int rowStride, int depthStride, float* b, int ldb, float* c, int ldc, int rowStart, int rowEnd, int depth, bool accumulate)
    {
        // Whole 6×2 tiles, then the rest in 4×2 and 3×2 tiles (8 and 6 accumulators: enough, or nearly, to cover the FMA
        // latency on two pipes), giving back one 6×2 tile where that avoids 1×2 tiles, whose two chains each wait out
        // the latency. A batch of 64, 256 or 1792 rows leaves 4 (one 4×2 tile: the training iteration 0.970 of the
        // time at 256 bits); the 32 rows of each of two threads' parts leave 2, taken as 4 + 4 instead of 6 + 1 + 1
        // (two-thread training 0.967, batch-64 inference 0.962).
        int i = rowStart;
        int sixes = (rowEnd - rowStart) / 6, fours = 0, threes = 0;
        switch ((rowEnd - rowStart) % 6)
        {
            case 1 when sixes > 0: sixes--; fours = 1; threes = 1; break;
            case 2 when sixes > 0: sixes--; fours = 2; break;
            case 3: threes = 1; break;
            case 4: fours = 1; break;
            case 5 when sixes > 0: sixes--; fours = 2; threes = 1; break;
            case 5: fours = 1; break;
        }

        for (int t = 0; t < sixes; t++, i += 6)
        {
            Tile6x2(a + (i * rowStride), rowStride, depthStride, b, ldb, c + (i * ldc), ldc, depth, accumulate);
        }

        for (int t = 0; t < fours; t++, i += 4)
        {
            Tile4x2(a + (i * rowStride), rowStride, depthStride, b, ldb, c + (i * ldc), ldc, depth, accumulate);
        }

        for (int t = 0; t < threes; t++, i += 3)
        {
            Tile3x2(a + (i * rowStride), rowStride, depthStride, b, ldb, c + (i * ldc), ldc, depth, accumulate);
        }

        for (; i < rowEnd; i++)
        {
            Tile1x2(a + (i * rowStride), depthStride, b, ldb, c + (i * ldc), depth, accumulate);
        }
    }

    private static void ComputeBlock4x4(
        float* a, int rowStride, int depthStride,
        float* b, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int colStart, int colEnd, int depth, bool accumulate)
    {
        int w = TOps.Count;
        int tileWidth = TileVectors * w;
        int j = colStart;
        for (; j + tileWidth <= colEnd; j += tileWidth)
        {
            int i = rowStart;
            for (; i + TileRows <= rowEnd; i += TileRows)
            {
                Tile4x4(a + (i * rowStride), rowStride, depthStride, b + j, ldb, w, c + (i * ldc) + j, ldc, depth, accumulate);
            }

            for (; i < rowEnd; i++)
            {
                Tile1x4(a + (i * rowStride), depthStride, b + j, ldb, w, c + (i * ldc) + j, depth, accumulate);
            }
        }

        ComputeNarrowColumns(a, rowStride, depthStride, b, ldb, c, ldc, rowStart, rowEnd, j, colEnd, depth, accumulate);
    }

    /// <summary>The columns left after the full tiles: single vectors, then the last few in one vector (see <see cref="ComputeTailColumns"/>).</summary>
    private static void ComputeNarrowColumns(
        float* a, int rowStride, int depthStride,
        float* b, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int j, int colEnd, int depth, bool accumulate)
    {
        int w = TOps.Count;
        for (; j + w <= colEnd; j += w)
        {
            int i = rowStart;
            for (; i + TileRows <= rowEnd; i += TileRows)
            {
                Tile4x1(a + (i * rowStride), rowStride, depthStride, b + j, ldb, c + (i * ldc) + j, ldc, depth, accumulate);
            }

            for (; i < rowEnd; i++)
            {
                Tile1x1(a + (i * rowStride), depthStride, b + j, ldb, c + (i * ldc) + j, depth, accumulate);
            }
        }

        if (j < colEnd)
        {
            ComputeTailColumns(a, rowStride, depthStride, b, ldb, c, ldc, rowStart, rowEnd, j, colEnd, depth, accumulate);
        }
    }

    /// <summary>
    /// The last columns [j, colEnd), fewer than a vector's lanes (a dense head's 10 outputs are all of its columns), in
    /// the 4×1 and 1×1 vector tiles rather than one scalar chain per element: a scalar chain waits out the latency of
    /// every multiply-add (the head of a batch-64 training iteration took 0.13 ms at 1 % of the peak). B's rows are read a
    /// whole vector at a time where that vector ends inside this call's rows of B; the lanes past colEnd then hold the
    /// next columns or row, whose results are thrown away. The last rows, where it would not (fewer than a vector's
    /// lanes of them), are copied with zero padding to the stack, and C goes through a vector-wide copy on the stack.
    /// Each element is the chain of multiply-adds the scalar loop computed, lane by lane: the same bits.
    /// </summary>
    [SkipLocalsInit]
    private static void ComputeTailColumns(
        float* a, int rowStride, int depthStride,
        float* b, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int j, int colEnd, int depth, bool accumulate)
    {
        int w = TOps.Count;
        int rest = colEnd - j;

        // Row p's vector ends at p·ldb + j + w; the last element of this call's B is at (depth−1)·ldb + colEnd − 1.
        // Rows past `direct` number fewer than w (w − rest < w elements short, at least one per row).
        long reach = ((long)(depth - 1) * ldb) + rest - w;
        int direct = reach < 0 ? 0 : (int)Math.Min(depth, (reach / ldb) + 1);
        int copied = depth - direct;
        float* strip = stackalloc float[16 * 16];
        float* tile = stackalloc float[TileRows * 16];
        for (int p = 0; p < copied; p++)
        {
            float* source = b + ((long)(direct + p) * ldb) + j;
            float* row = strip + (p * w);
            for (int q = 0; q < w; q++)
            {
                row[q] = q < rest ? source[q] : 0f;
            }
        }

        float* bj = b + j;
        float* stripA = a + ((long)direct * depthStride);
        bool continued = accumulate || direct > 0;
        int i = rowStart;
        for (; i + TileRows <= rowEnd; i += TileRows)
        {
            float* ci = c + (i * ldc) + j;
            if (accumulate)
            {
                CopyColumns(ci, ldc, tile, w, TileRows, rest);
            }

            Tile4x1(a + (i * rowStride), rowStride, depthStride, bj, ldb, tile, w, direct, accumulate);
            Tile4x1(stripA + (i * rowStride), rowStride, depthStride, strip, w, tile, w, copied, continued);
            CopyColumns(tile, w, ci, ldc, TileRows, rest);
        }

        for (; i < rowEnd; i++)
        {
            float* ci = c + (i * ldc) + j;
            if (accumulate)
            {
                CopyColumns(ci, ldc, tile, w, 1, rest);
            }

            Tile1x1(a + (i * rowStride), depthStride, bj, ldb, tile, direct, accumulate);
            Tile1x1(stripA + (i * rowStride), depthStride, strip, w, tile, copied, continued);
            CopyColumns(tile, w, ci, ldc, 1, rest);
        }
    }

    /// <summary>The first <paramref name="columns"/> of <paramref name="rows"/> rows from one strided block to another.</summary>
    private static void CopyColumns(float* source, int sourceStride, float* destination, int destinationStride, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(source + (r * sourceStride), columns).CopyTo(new Span<float>(destination + (r * destinationStride), columns));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x2(float* a, int rowStride, int depthStride, float* b, int ldb, float* c, int ldc, int depth, bool accumulate)
    {
        int w = TOps.Count;
        float* c0 = c, c1 = c + ldc, c2 = c + (2 * ldc), c3 = c + (3 * ldc), c4 = c + (4 * ldc), c5 = c + (5 * ldc);
        TV r00, r01, r10, r11, r20, r21, r30, r31, r40, r41, r50, r51;
        if (accumulate)
        {
            r00 = TOps.Load(c0); r01 = TOps.Load(c0 + w); r10 = TOps.Load(c1); r11 = TOps.Load(c1 + w);
            r20 = TOps.Load(c2); r21 = TOps.Load(c2 + w); r30 = TOps.Load(c3); r31 = TOps.Load(c3 + w);
            r40 = TOps.Load(c4); r41 = TOps.Load(c4 + w); r50 = TOps.Load(c5); r51 = TOps.Load(c5 + w);
        }
        else
        {
            r00 = r01 = r10 = r11 = r20 = r21 = TOps.Zero;
            r30 = r31 = r40 = r41 = r50 = r51 = TOps.Zero;
        }

        float* a0 = a, a1 = a + rowStride, a2 = a + (2 * rowStride), a3 = a + (3 * rowStride), a4 = a + (4 * rowStride), a5 = a + (5 * rowStride);
        float* bp = b;
        for (int p = 0; p < depth; p++)
        {
            TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
            int ap = p * depthStride;
            TV x = TOps.Broadcast(a0[ap]);
            r00 = TOps.MultiplyAdd(x, b0, r00); r01 = TOps.MultiplyAdd(x, b1, r01);
            x = TOps.Broadcast(a1[ap]);
            r10 = TOps.MultiplyAdd(x, b0, r10); r11 = TOps.MultiplyAdd(x, b1, r11);
            x = TOps.Broadcast(a2[ap]);
            r20 = TOps.MultiplyAdd(x, b0, r20); r21 = TOps.MultiplyAdd(x, b1, r21);
            x = TOps.Broadcast(a3[ap]);
            r30 = TOps.MultiplyAdd(x, b0, r30); r31 = TOps.MultiplyAdd(x, b1, r31);
            x = TOps.Broadcast(a4[ap]);
            r40 = TOps.MultiplyAdd(x, b0, r40); r41 = TOps.MultiplyAdd(x, b1, r41);
            x = TOps.Broadcast(a5[ap]);
            r50 = TOps.MultiplyAdd(x, b0, r50); r51 = TOps.MultiplyAdd(x, b1, r51);
            bp += ldb;
        }

        TOps.Store(r00, c0); TOps.Store(r01, c0 + w); TOps.Store(r10, c1); TOps.Store(r11, c1 + w);
        TOps.Store(r20, c2); TOps.Store(r21, c2 + w); TOps.Store(r30, c3); TOps.Store(r31, c3 + w);
        TOps.Store(r40, c4); TOps.Store(r41, c4 + w); TOps.Store(r50, c5); TOps.Store(r51, c5 + w);
    }

    /// <summary>Four rows × 2 vectors: the leftover of a 6×2 panel of 64, 256 or 1792 rows (see <see cref="RowTiles6x2"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x2(float* a, int rowStride, int depthStride, float* b, int ldb, float* c, int ldc, int depth, bool accumulate)
    {
        int w = TOps.Count;
        float* c0 = c, c1 = c + ldc, c2 = c + (2 * ldc), c3 = c + (3 * ldc);
        TV r00, r01, r10, r11, r20, r21, r30, r31;
        if (accumulate)
        {
            r00 = TOps.Load(c0); r01 = TOps.Load(c0 + w); r10 = TOps.Load(c1); r11 = TOps.Load(c1 + w);
            r20 = TOps.Load(c2); r21 = TOps.Load(c2 + w); r30 = TOps.Load(c3); r31 = TOps.Load(c3 + w);
        }
        else
        {
            r00 = r01 = r10 = r11 = r20 = r21 = r30 = r31 = TOps.Zero;
        }

        float* a0 = a, a1 = a + rowStride, a2 = a + (2 * rowStride), a3 = a + (3 * rowStride);
        float* bp = b;
        for (int p = 0; p < depth; p++)
        {
            TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
            int ap = p * depthStride;
            TV x = TOps.Broadcast(a0[ap]);
            r00 = TOps.MultiplyAdd(x, b0, r00); r01 = TOps.MultiplyAdd(x, b1, r01);
            x = TOps.Broadcast(a1[ap]);
            r10 = TOps.MultiplyAdd(x, b0, r10); r11 = TOps.MultiplyAdd(x, b1, r11);
            x = TOps.Broadcast(a2[ap]);
            r20 = TOps.MultiplyAdd(x, b0, r20); r21 = TOps.MultiplyAdd(x, b1, r21);
            x = TOps.Broadcast(a3[ap]);
            r30 = TOps.MultiplyAdd(x, b0, r30); r31 = TOps.MultiplyAdd(x, b1, r31);
            bp += ldb;
        }

        TOps.Store(r00, c0); TOps.Store(r01, c0 + w); TOps.Store(r10, c1); TOps.Store(r11, c1 + w);
        TOps.Store(r20, c2); TOps.Store(r21, c2 + w); TOps.Store(r30, c3); TOps.Store(r31, c3 + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile3x2(float* a, int rowStride, int depthStride, float* b, int ldb, float* c, int ldc, int depth, bool accumulate)
    {
        int w = TOps.Count;
        float* c0 = c, c1 = c + ldc, c2 = c + (2 * ldc);
        TV r00, r01, r10, r11, r20, r21;
        if (accumulate)
        {
            r00 = TOps.Load(c0); r01 = TOps.Load(c0 + w); r10 = TOps.Load(c1); r11 = TOps.Load(c1 + w);
            r20 = TOps.Load(c2); r21 = TOps.Load(c2 + w);
        }
        else
        {
            r00 = r01 = r10 = r11 = r20 = r21 = TOps.Zero;
        }

        float* a0 = a, a1 = a + rowStride, a2 = a + (2 * rowStride);
        float* bp = b;
        for (int p = 0; p < depth; p++)
        {
            TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
            int ap = p * depthStride;
            TV x = TOps.Broadcast(a0[ap]);
            r00 = TOps.MultiplyAdd(x, b0, r00); r01 = TOps.MultiplyAdd(x, b1, r01);
            x = TOps.Broadcast(a1[ap]);
            r10 = TOps.MultiplyAdd(x, b0, r10); r11 = TOps.MultiplyAdd(x, b1, r11);
            x = TOps.Broadcast(a2[ap]);
            r20 = TOps.MultiplyAdd(x, b0, r20); r21 = TOps.MultiplyAdd(x, b1, r21);
            bp += ldb;
        }

        TOps.Store(r00, c0); TOps.Store(r01, c0 + w); TOps.Store(r10, c1); TOps.Store(r11, c1 + w);
        TOps.Store(r20, c2); TOps.Store(r21, c2 + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x2(float* a, int depthStride, float* b, int ldb, float* c, int depth, bool accumulate)
    {
        int w = TOps.Count;
        TV r0 = accumulate ? TOps.Load(c) : TOps.Zero;
        TV r1 = accumulate ? TOps.Load(c + w) : TOps.Zero;
        float* bp = b;
        for (int p = 0; p < depth; p++)
        {
            TV x = TOps.Broadcast(a[p * depthStride]);
            r0 = TOps.MultiplyAdd(x, TOps.Load(bp), r0);
            r1 = TOps.MultiplyAdd(x, TOps.Load(bp + w), r1);
            bp += ldb;
        }

        TOps.Store(r0, c);
        TOps.Store(r1, c + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(float* a, int rowStride, int depthStride, float* b, int ldb, int vectorStride, float* c, int ldc, int depth, bool accumulate)
    {
        int w = TOps.Count;
        float* c0 = c, c1 = c + ldc, c2 = c + (2 * ldc), c3 = c + (3 * ldc);
        TV r00, r01, r02, r03, r10, r11, r12, r13, r20, r21, r22, r23, r30, r31, r32, r33;
        if (accumulate)
        {
            r00 = TOps.Load(c0); r01 = TOps.Load(c0 + w); r02 = TOps.Load(c0 + (2 * w)); r03 = TOps.Load(c0 + (3 * w));
            r10 = TOps.Load(c1); r11 = TOps.Load(c1 + w); r12 = TOps.Load(c1 + (2 * w)); r13 = TOps.Load(c1 + (3 * w));
            r20 = TOps.Load(c2); r21 = TOps.Load(c2 + w); r22 = TOps.Load(c2 + (2 * w)); r23 = TOps.Load(c2 + (3 * w));
            r30 = TOps.Load(c3); r31 = TOps.Load(c3 + w); r32 = TOps.Load(c3 + (2 * w)); r33 = TOps.Load(c3 + (3 * w));
        }
        else
        {
            r00 = r01 = r02 = r03 = r10 = r11 = r12 = r13 = TOps.Zero;
            r20 = r21 = r22 = r23 = r30 = r31 = r32 = r33 = TOps.Zero;
        }

        float* a0 = a, a1 = a + rowStride, a2 = a + (2 * rowStride), a3 = a + (3 * rowStride);
        float* bp = b;
        for (int p = 0; p < depth; p++)
        {
            TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + vectorStride), b2 = TOps.Load(bp + (2 * vectorStride)), b3 = TOps.Load(bp + (3 * vectorStride));
            int ap = p * depthStride;
            TV x = TOps.Broadcast(a0[ap]);
            r00 = TOps.MultiplyAdd(x, b0, r00); r01 = TOps.MultiplyAdd(x, b1, r01); r02 = TOps.MultiplyAdd(x, b2, r02); r03 = TOps.MultiplyAdd(x, b3, r03);
            x = TOps.Broadcast(a1[ap]);
            r10 = TOps.MultiplyAdd(x, b0, r10); r11 = TOps.MultiplyAdd(x, b1, r11); r12 = TOps.MultiplyAdd(x, b2, r12); r13 = TOps.MultiplyAdd(x, b3, r13);
            x = TOps.Broadcast(a2[ap]);
            r20 = TOps.MultiplyAdd(x, b0, r20); r21 = TOps.MultiplyAdd(x, b1, r21); r22 = TOps.MultiplyAdd(x, b2, r22); r23 = TOps.MultiplyAdd(x, b3, r23);
            x = TOps.Broadcast(a3[ap]);
            r30 = TOps.MultiplyAdd(x, b0, r30); r31 = TOps.MultiplyAdd(x, b1, r31); r32 = TOps.MultiplyAdd(x, b2, r32); r33 = TOps.MultiplyAdd(x, b3, r33);
            bp += ldb;
        }

        TOps.Store(r00, c0); TOps.Store(r01, c0 + w); TOps.Store(r02, c0 + (2 * w)); TOps.Store(r03, c0 + (3 * w));
        TOps.Store(r10, c1); TOps.Store(r11, c1 + w); TOps.Store(r12, c1 + (2 * w)); TOps.Store(r13, c1 + (3 * w));
        TOps.Store(r20, c2); TOps.Store(r21, c2 + w); TOps.Store(r22, c2 + (2 * w)); TOps.Store(r23, c2 + (3 * w));
        TOps.Store(r30, c3); TOps.Store(r31, c3 + w); TOps.Store(r32, c3 + (2 * w)); TOps.Store(r33, c3 + (3 * w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x4(float* a, int depthStride, float* b, int ldb, int vectorStride, float* c, int depth, bool accumulate)
    {
        int w = TOps.Count;
        TV r0, r1, r2, r3;
        if (accumulate)
        {
            r0 = TOps.Load(c); r1 = TOps.Load(c + w); r2 = TOps.Load(c + (2 * w)); r3 = TOps.Load(c + (3 * w));
        }
        else
        {
            r0 = r1 = r2 = r3 = TOps.Zero;
        }

        float* bp = b;
        for (int p = 0; p < depth; p++)
        {
            TV x = TOps.Broadcast(a[p * depthStride]);
            r0 = TOps.MultiplyAdd(x, TOps.Load(bp), r0);
            r1 = TOps.MultiplyAdd(x, TOps.Load(bp + vectorStride), r1);
            r2 = TOps.MultiplyAdd(x, TOps.Load(bp + (2 * vectorStride)), r2);
            r3 = TOps.MultiplyAdd(x, TOps.Load(bp + (3 * vectorStride)), r3);
            bp += ldb;
        }

        TOps.Store(r0, c); TOps.Store(r1, c + w); TOps.Store(r2, c + (2 * w)); TOps.Store(r3, c + (3 * w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1(float* a, int rowStride, int depthStride, float* b, int ldb, float* c, int ldc, int depth, bool accumulate)
    {
        TV r0, r1, r2, r3;
        if (accumulate)
        {
            r0 = TOps.Load(c); r1 = TOps.Load(c + ldc); r2 = TOps.Load(c + (2 * ldc)); r3 = TOps.Load(c + (3 * ldc));
        }
        else
        {
            r0 = r1 = r2 = r3 = TOps.Zero;
        }

        float* a0 = a, a1 = a + rowStride, a2 = a + (2 * rowStride), a3 = a + (3 * rowStride);
        float* bp = b;
        for (int p = 0; p < depth; p++)
        {
            TV bv = TOps.Load(bp);
            int ap = p * depthStride;
            r0 = TOps.MultiplyAdd(TOps.Broadcast(a0[ap]), bv, r0);
            r1 = TOps.MultiplyAdd(TOps.Broadcast(a1[ap]), bv, r1);
            r2 = TOps.MultiplyAdd(TOps.Broadcast(a2[ap]), bv, r2);
            r3 = TOps.MultiplyAdd(TOps.Broadcast(a3[ap]), bv, r3);
            bp += ldb;
        }

        TOps.Store(r0, c); TOps.Store(r1, c + ldc); TOps.Store(r2, c + (2 * ldc)); TOps.Store(r3, c + (3 * ldc));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x1(float* a, int depthStride, float* b, int ldb, float* c, int depth, bool accumulate)
    {
        TV r = accumulate ? TOps.Load(c) : TOps.Zero;
        float* bp = b;
        for (int p = 0; p < depth; p++)
        {
            r = TOps.MultiplyAdd(TOps.Broadcast(a[p * depthStride]), TOps.Load(bp), r);
            bp += ldb;
        }

        TOps.Store(r, c);
    }

    /// <summary>
    /// C (+)= A·Bᵀ for rows [rowStart, rowEnd) with A [m×depth] (lda) and B [n×depth] (ldb), both row-major: each
    /// element is a dot product vectorised along the depth, four columns at a time so each row of A is loaded once per
    /// four dot products.
    /// </summary>
    public static void ComputeTransposedB(
        float* a, int lda, float* b, int ldb, float* c, int ldc,
        int rowStart, int rowEnd, int colStart, int colEnd, int depth, bool accumulate)
    {
        int w = TOps.Count;
        for (int i = rowStart; i < rowEnd; i++)
        {
            float* ai = a + (i * lda);
            float* ci = c + (i * ldc);
            int j = colStart;
            for (; j + 4 <= colEnd; j += 4)
            {
                float* b0 = b + (j * ldb), b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
                TV s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
                int p = 0;
                for (; p + w <= depth; p += w)
                {
                    TV x = TOps.Load(ai + p);
                    s0 = TOps.MultiplyAdd(x, TOps.Load(b0 + p), s0);
                    s1 = TOps.MultiplyAdd(x, TOps.Load(b1 + p), s1);
                    s2 = TOps.MultiplyAdd(x, TOps.Load(b2 + p), s2);
                    s3 = TOps.MultiplyAdd(x, TOps.Load(b3 + p), s3);
                }

                float d0 = TOps.Sum(s0), d1 = TOps.Sum(s1), d2 = TOps.Sum(s2), d3 = TOps.Sum(s3);
                for (; p < depth; p++)
                {
                    float x = ai[p];
                    d0 = MathF.FusedMultiplyAdd(x, b0[p], d0);
                    d1 = MathF.FusedMultiplyAdd(x, b1[p], d1);
                    d2 = MathF.FusedMultiplyAdd(x, b2[p], d2);
                    d3 = MathF.FusedMultiplyAdd(x, b3[p], d3);
                }

                if (accumulate)
                {
                    ci[j] += d0; ci[j + 1] += d1; ci[j + 2] += d2; ci[j + 3] += d3;
                }
                else
                {
                    ci[j] = d0; ci[j + 1] = d1; ci[j + 2] = d2; ci[j + 3] = d3;
                }
            }

            for (; j < colEnd; j++)
            {
                float* bj = b + (j * ldb);
                TV s = TOps.Zero;
                int p = 0;
                for (; p + w <= depth; p += w)
                {
                    s = TOps.MultiplyAdd(TOps.Load(ai + p), TOps.Load(bj + p), s);
                }

                float d = TOps.Sum(s);
                for (; p < depth; p++)
                {
                    d = MathF.FusedMultiplyAdd(ai[p], bj[p], d);
                }

                ci[j] = accumulate ? ci[j] + d : d;
            }
        }
    }
}
