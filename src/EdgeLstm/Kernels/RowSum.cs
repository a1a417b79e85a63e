using System.Numerics.Tensors;

namespace EdgeLstm.Kernels;

/// <summary>Column sums of a row-major matrix: the gradient of a bias added to every row.</summary>
internal static unsafe class RowSum
{
    /// <summary>destination = Σ over <paramref name="rows"/> rows of <paramref name="source"/> [rows×width], in row order.</summary>
    public static void Of(float* source, int rows, Span<float> destination)
    {
        fixed (float* sums = destination)
        {
            Accumulate(source, destination.Length, rows, 0, destination.Length, sums, first: true);
        }
    }

    /// <summary>
    /// sums[j] (+)= Σ source[r, j] over <paramref name="rows"/> rows in row order, for j in [colStart, colEnd) of a
    /// matrix <paramref name="ld"/> floats a row: from zero when <paramref name="first"/>, else continuing the sums
    /// there, so a caller that meets the rows a block at a time (the shared weight-gradient pass,
    /// <see cref="MatMulKernel{TOps, TV}.ComputeSharedB"/>) gets the bits of one call over all of them.
    /// </summary>
    public static void Accumulate(float* source, int ld, int rows, int colStart, int colEnd, float* sums, bool first)
    {
        var destination = new Span<float>(sums + colStart, colEnd - colStart);
        if (first)
        {
            destination.Clear();
        }

        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(destination, new ReadOnlySpan<float>(source + ((long)r * ld) + colStart, destination.Length), destination);
        }
    }
}
