using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// A weight matrix B [k×n] repacked as panels of <see cref="Width"/> columns, each panel's k rows contiguous, so the
/// micro-kernel reads B as one sequential stream instead of one cache line per row, 4 KB apart. That matters most for
/// the matrix-vector products of batch-1 inference and streaming, which are bound by how fast the weights arrive.
/// </summary>
internal static unsafe class WeightPanels
{
    /// <summary>
    /// Columns per panel: the tile width of the 256-bit (6×2 × 8 floats) and 128-bit (4×4 × 4 floats) kernels, and one
    /// 512-bit vector: the 512-bit 4×4 tile reads four panels side by side (MatMulKernel.ComputePanelGroup).
    /// </summary>
    public const int Width = 16;

    /// <summary>True when a product of <paramref name="columns"/> columns can read panels (every <paramref name="width"/> can).</summary>
    public static bool Usable(int columns, SimdWidth width) => columns % Width == 0;

    /// <summary>Copies row-major <paramref name="source"/> [rows×cols] into panels.</summary>
    public static void Pack(ReadOnlySpan<float> source, int rows, int cols, Span<float> panels)
    {
        for (int panel = 0; panel < cols / Width; panel++)
        {
            var destination = panels.Slice(panel * rows * Width, rows * Width);
            for (int r = 0; r < rows; r++)
            {
                source.Slice((r * cols) + (panel * Width), Width).CopyTo(destination.Slice(r * Width, Width));
            }
        }
    }

    /// <summary>
    /// Panels of Wᵀ [k×n] straight from W [n×k] row-major, as a model stores it, with no row-major Wᵀ in between:
    /// panel p holds Wᵀ's columns 16p…16p+15, which are W's rows 16p…16p+15, so it is the transpose of that 16×k block.
    /// Panels [<paramref name="panelStart"/>, <paramref name="panelEnd"/>), so threads can share the work.
    /// </summary>
    public static void PackTransposed(float* weight, int n, int k, float* panels, int panelStart, int panelEnd)
    {
        for (int panel = panelStart; panel < panelEnd; panel++)
        {
            long offset = (long)panel * Width * k;
            MatrixTranspose.Transpose(weight + offset, Width, k, panels + offset);
        }
    }
}
