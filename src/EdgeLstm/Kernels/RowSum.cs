using System.Numerics.Tensors;

namespace EdgeLstm.Kernels;

/// <summary>Column sums of a row-major matrix: the gradient of a bias added to every row.</summary>
internal static unsafe class RowSum
{
    /// <summary>destination = Σ over <paramref name="rows"/> rows of <paramref name="source"/> [rows×width], in row order.</summary>
    public static void Of(float* source, int rows, Span<float> destination)
    {
        int width = destination.Length;
        destination.Clear();
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(destination, new ReadOnlySpan<float>(source + ((long)r * width), width), destination);
        }
    }
}
