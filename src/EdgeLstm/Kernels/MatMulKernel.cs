using System.Runtime.CompilerServices;
using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// The register-blocked product C (+)= A·B over a rectangle of C, written once against <see cref="IVectorOps{TV}"/>.
/// A is addressed through strides, A(i, p) = a[i·rowStride + p·depthStride], so the same micro-kernel serves A·B
/// (depthStride 1) and Aᵀ·B (rowStride 1). B is row-major with leading dimension ldb.
/// </summary>
/// <remarks>
/// The micro-kernel keeps a 4-row × 4-vector tile of C in registers (16 accumulators: fits the 16 registers of AVX2 as
/// well as the 32 of AVX-512 and NEON), broadcasts 4 values of A and streams 4 vectors of a row of B per step of the
/// depth. Every element of C, whichever body computes it (4 rows or 1, vector or scalar tail), is the same chain of
/// fused multiply-adds in depth order, starting from C (accumulate) or from 0: results do not depend on how C is split
/// between threads, which is what makes training bit-identical for any thread count.
/// </remarks>
internal static unsafe class MatMulKernel<TOps, TV>
    where TOps : struct, IVectorOps<TV>
    where TV : struct
{
    private const int TileRows = 4;
    private const int TileVectors = 4;

    // Cache blocking, without packing: the depth is cut into chunks so the slice of B that a column tile streams
    // (chunk × tile width floats, 16 KB) stays in L1 while every row tile of a panel reuses it, and rows are taken a
    // panel at a time so the slice of A they read stays in L2 across all column tiles. The chunks of every element are
    // summed in the same order whatever the split, so the results stay bit-identical.
    private const int PanelRows = 64;

    private static int DepthChunk => 4096 / (TileVectors * TOps.Count);

    /// <summary>Computes rows [rowStart, rowEnd) × columns [colStart, colEnd) of C.</summary>
    public static void Compute(
        float* a, int rowStride, int depthStride,
        float* b, int ldb,
        float* c, int ldc,
        int rowStart, int rowEnd, int colStart, int colEnd, int depth, bool accumulate)
    {
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

    private static void ComputeBlock(
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
                Tile4x4(a + (i * rowStride), rowStride, depthStride, b + j, ldb, c + (i * ldc) + j, ldc, depth, accumulate);
            }

            for (; i < rowEnd; i++)
            {
                Tile1x4(a + (i * rowStride), depthStride, b + j, ldb, c + (i * ldc) + j, depth, accumulate);
            }
        }

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

        for (; j < colEnd; j++)
        {
            for (int i = rowStart; i < rowEnd; i++)
            {
                float* ai = a + (i * rowStride);
                float acc = accumulate ? c[(i * ldc) + j] : 0f;
                for (int p = 0; p < depth; p++)
                {
                    acc = MathF.FusedMultiplyAdd(ai[p * depthStride], b[(p * ldb) + j], acc);
                }

                c[(i * ldc) + j] = acc;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(float* a, int rowStride, int depthStride, float* b, int ldb, float* c, int ldc, int depth, bool accumulate)
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
            TV b0 = TOps.Load(bp), b1 = TOps.Load(bp + w), b2 = TOps.Load(bp + (2 * w)), b3 = TOps.Load(bp + (3 * w));
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
    private static void Tile1x4(float* a, int depthStride, float* b, int ldb, float* c, int depth, bool accumulate)
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
            r1 = TOps.MultiplyAdd(x, TOps.Load(bp + w), r1);
            r2 = TOps.MultiplyAdd(x, TOps.Load(bp + (2 * w)), r2);
            r3 = TOps.MultiplyAdd(x, TOps.Load(bp + (3 * w)), r3);
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
