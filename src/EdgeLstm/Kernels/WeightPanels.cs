using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// A weight matrix B [k×n] repacked as panels of a few columns, each panel's k rows contiguous, so the micro-kernel
/// reads B as one sequential stream instead of one cache line per row, 4 KB apart. That matters most for the
/// matrix-vector products of batch-1 inference and streaming, which are bound by how fast the weights arrive.
/// </summary>
/// <remarks>
/// Two widths. <see cref="Narrow"/> (16 columns) is one row of the 256-bit (6×2 × 8 floats) and 128-bit (4×4 × 4
/// floats) tiles, and one 512-bit vector: there the 512-bit 4×4 tile reads four panels side by side, four streams 16 KB
/// apart for a 256-deep layer. <see cref="Wide"/> (64 columns) is one row of the 512-bit tile, so that tile reads one
/// stream: measured on Zen 5 (AVX-512, 1 MB L2), a batch-1 product over an L2-resident 512 KB slice of W_hh took about
/// 1.6× less time from 64-column rows than from four 16-column panels, within 1.3× of a bare load of the same bytes.
/// Which width a model's weights use is chosen once per process from the widest vectors the machine runs
/// (<see cref="PreferredWidth"/>); the kernels of every width read either (tested bit for bit).
/// </remarks>
internal static unsafe class WeightPanels
{
    /// <summary>Columns per panel where the widest kernels are 256 or 128 bits wide.</summary>
    public const int Narrow = 16;

    /// <summary>Columns per panel where 512-bit kernels run: the 4×4 tile's four vectors, one row of it contiguous.</summary>
    public const int Wide = 64;

    /// <summary>
    /// The panel width this machine's weights are packed at: <see cref="Wide"/> where 512-bit kernels run and every
    /// layer's hidden size is whole wide panels (so each gate's block of G·H columns starts at a panel edge, as a step
    /// split by hidden units needs), else <see cref="Narrow"/> when every product's columns are whole narrow panels;
    /// 0 (row-major) when not even those fit.
    /// </summary>
    public static int PreferredWidth(ReadOnlySpan<int> hiddenSizes, ReadOnlySpan<int> columns)
    {
        bool wide = SimdSupport.Resolve(SimdWidth.Auto) == SimdWidth.Vector512;
        if (wide && AllWhole(hiddenSizes, Wide))
        {
            return Wide;
        }

        return AllWhole(columns, Narrow) ? Narrow : 0;
    }

    private static bool AllWhole(ReadOnlySpan<int> columns, int width)
    {
        foreach (int n in columns)
        {
            if (n % width != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Copies row-major <paramref name="source"/> [rows×cols] into panels of <paramref name="width"/> columns.</summary>
    public static void Pack(ReadOnlySpan<float> source, int rows, int cols, int width, Span<float> panels)
    {
        for (int panel = 0; panel < cols / width; panel++)
        {
            var destination = panels.Slice(panel * rows * width, rows * width);
            for (int r = 0; r < rows; r++)
            {
                source.Slice((r * cols) + (panel * width), width).CopyTo(destination.Slice(r * width, width));
            }
        }
    }

    /// <summary>
    /// Panels of Wᵀ [k×n] straight from W [n×k] row-major, as a model stores it, with no row-major Wᵀ in between:
    /// panel p holds Wᵀ's columns width·p…width·(p+1)−1, which are W's rows of the same numbers, so it is the transpose
    /// of that width×k block. Panels [<paramref name="panelStart"/>, <paramref name="panelEnd"/>), so threads can share
    /// the work.
    /// </summary>
    public static void PackTransposed(float* weight, int n, int k, int width, float* panels, int panelStart, int panelEnd)
    {
        for (int panel = panelStart; panel < panelEnd; panel++)
        {
            long offset = (long)panel * width * k;
            MatrixTranspose.Transpose(weight + offset, width, k, panels + offset);
        }
    }
}
