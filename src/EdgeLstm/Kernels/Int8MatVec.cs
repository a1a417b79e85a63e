using System.Runtime.Intrinsics;
using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// Products with an int8 weight matrix (<see cref="Int8PanelMatrix"/>) and fp32 activations: y (+)= W·x for one input
/// (batch 1, the streaming step) or Y (+)= X·Wᵀ for several (X [batch × cols]), with Vector512, Vector256 and Vector128
/// bodies. The weights are widened in registers (see <see cref="Int8PanelKernel{TOps, TWiden, TV}"/>), so the bytes
/// read are a quarter of fp32's; every output is the same chain at every width and batch size; nothing is allocated.
/// </summary>
public static unsafe class Int8MatVec
{
    /// <summary>y[rows] (+)= W·x[cols].</summary>
    public static void Multiply(Int8PanelMatrix weights, ReadOnlySpan<float> x, Span<float> y, bool accumulate = false, SimdWidth width = SimdWidth.Auto)
        => MultiplyBatch(weights, x, y, 1, accumulate, width);

    /// <summary>Y[batch × rows] (+)= X[batch × cols]·Wᵀ: row b of Y is W times row b of X, bit for bit as <see cref="Multiply"/> gives it.</summary>
    public static void MultiplyBatch(Int8PanelMatrix weights, ReadOnlySpan<float> x, Span<float> y, int batch, bool accumulate = false, SimdWidth width = SimdWidth.Auto)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        int rows = weights.Rows, cols = weights.Cols;
        if (x.Length < (long)batch * cols)
        {
            throw new ArgumentException($"X holds {x.Length} floats; {batch} inputs of {cols} need {(long)batch * cols}.", nameof(x));
        }

        if (y.Length < (long)batch * rows)
        {
            throw new ArgumentException($"Y holds {y.Length} floats; {batch} outputs of {rows} need {(long)batch * rows}.", nameof(y));
        }

        if (batch == 0 || rows == 0)
        {
            return;
        }

        width = SimdSupport.Resolve(width);
        fixed (float* px = x, py = y)
        {
            Run(weights, px, cols, py, rows, batch, 0, rows, accumulate, width);
        }
    }

    /// <summary>
    /// The same products on raw pointers for output rows [rowStart, rowEnd) only (rowStart a multiple of
    /// <see cref="Int8PanelMatrix.Width"/>), for the engine's own buffers and for splitting rows between threads (which
    /// changes no bit). <paramref name="width"/> must be resolved.
    /// </summary>
    internal static void Run(Int8PanelMatrix w, float* x, int ldx, float* y, int ldy, int batch, int rowStart, int rowEnd, bool accumulate, SimdWidth width)
    {
        if (rowStart >= rowEnd || batch == 0)
        {
            return;
        }

        switch (width)
        {
            case SimdWidth.Vector512:
                Int8PanelKernel<Vector512Ops, Int8Widening512, Vector512<float>>.Compute(w.Values, w.Scales, w.Cols, x, ldx, y, ldy, batch, rowStart, rowEnd, accumulate);
                break;
            case SimdWidth.Vector256:
                Int8PanelKernel<Vector256Ops, Int8Widening256, Vector256<float>>.Compute(w.Values, w.Scales, w.Cols, x, ldx, y, ldy, batch, rowStart, rowEnd, accumulate);
                break;
            case SimdWidth.Vector128:
                Int8PanelKernel<Vector128Ops, Int8Widening128, Vector128<float>>.Compute(w.Values, w.Scales, w.Cols, x, ldx, y, ldy, batch, rowStart, rowEnd, accumulate);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(width), width, "Resolve the width first.");
        }
    }
}
