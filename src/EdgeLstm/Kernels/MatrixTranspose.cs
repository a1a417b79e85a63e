using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeLstm.Kernels;

/// <summary>
/// destination [cols×rows] = sourceᵀ for a row-major source [rows×cols]: the one transpose the trainer runs after
/// every optimiser step (the packed weights) and every backward pass (the weight gradients). A naive loop writes one
/// float per cache line with a stride of a whole row (4 KB for 1024 gate columns, so the lines fall into the same few
/// L1 sets); this one moves 8×8 blocks, in registers where AVX is available. Pure data movement: the bits are unchanged.
/// </summary>
internal static unsafe class MatrixTranspose
{
    private const int Block = 8;

    /// <summary>Rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of the source into their columns of the destination.</summary>
    public static void Transpose(float* source, int rows, int cols, float* destination, int rowStart, int rowEnd)
    {
        int r = rowStart;
        if (Avx.IsSupported)
        {
            for (; r + Block <= rowEnd; r += Block)
            {
                int c = 0;
                for (; c + Block <= cols; c += Block)
                {
                    Block8x8(source + ((long)r * cols) + c, cols, destination + ((long)c * rows) + r, rows);
                }

                Scalar(source, rows, cols, destination, r, r + Block, c, cols);
            }
        }

        Scalar(source, rows, cols, destination, r, rowEnd, 0, cols);
    }

    /// <summary>The whole of <paramref name="source"/>.</summary>
    public static void Transpose(float* source, int rows, int cols, float* destination) => Transpose(source, rows, cols, destination, 0, rows);

    private static void Scalar(float* source, int rows, int cols, float* destination, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            float* row = source + ((long)r * cols);
            for (int c = colStart; c < colEnd; c++)
            {
                destination[((long)c * rows) + r] = row[c];
            }
        }
    }

    /// <summary>The classic 8×8 AVX transpose: unpack pairs, shuffle quads, swap 128-bit halves (24 shuffles per 64 floats).</summary>
    private static void Block8x8(float* source, int sourceStride, float* destination, int destinationStride)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceStride);
        var r2 = Avx.LoadVector256(source + (2L * sourceStride));
        var r3 = Avx.LoadVector256(source + (3L * sourceStride));
        var r4 = Avx.LoadVector256(source + (4L * sourceStride));
        var r5 = Avx.LoadVector256(source + (5L * sourceStride));
        var r6 = Avx.LoadVector256(source + (6L * sourceStride));
        var r7 = Avx.LoadVector256(source + (7L * sourceStride));

        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);

        Store(Avx.Permute2x128(s0, s4, 0x20), destination, destinationStride, 0);
        Store(Avx.Permute2x128(s1, s5, 0x20), destination, destinationStride, 1);
        Store(Avx.Permute2x128(s2, s6, 0x20), destination, destinationStride, 2);
        Store(Avx.Permute2x128(s3, s7, 0x20), destination, destinationStride, 3);
        Store(Avx.Permute2x128(s0, s4, 0x31), destination, destinationStride, 4);
        Store(Avx.Permute2x128(s1, s5, 0x31), destination, destinationStride, 5);
        Store(Avx.Permute2x128(s2, s6, 0x31), destination, destinationStride, 6);
        Store(Avx.Permute2x128(s3, s7, 0x31), destination, destinationStride, 7);
    }

    private static void Store(Vector256<float> value, float* destination, int stride, int row) => Avx.Store(destination + ((long)row * stride), value);
}
