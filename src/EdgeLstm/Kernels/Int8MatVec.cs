using System.Runtime.Intrinsics;
using EdgeLstm.Quantization;
using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// Products with an int8 weight matrix and fp32 activations: y (+)= W·x for one input (batch 1, the streaming step) or
/// a few (Y (+)= X·Wᵀ, X [batch × cols]), with Vector512, Vector256 and Vector128 bodies and scalar tails. The weights
/// are widened in registers (see <see cref="Int8MatVecKernel{TOps, TWiden, TV}"/>); nothing is allocated.
/// </summary>
/// <remarks>
/// Made for small batches, where reading the weights is the cost: each weight vector is widened once per four inputs.
/// A large batch is better served by dequantising a panel and running the fp32 <see cref="MatMul"/>.
/// </remarks>
public static unsafe class Int8MatVec
{
    /// <summary>y[rows] (+)= W·x[cols].</summary>
    public static void Multiply(Int8Matrix weights, ReadOnlySpan<float> x, Span<float> y, bool accumulate = false, SimdWidth width = SimdWidth.Auto)
        => MultiplyBatch(weights, x, y, 1, accumulate, width);

    /// <summary>Y[batch × rows] (+)= X[batch × cols]·Wᵀ: row b of Y is W times row b of X, bit for bit as <see cref="Multiply"/> gives it.</summary>
    public static void MultiplyBatch(Int8Matrix weights, ReadOnlySpan<float> x, Span<float> y, int batch, bool accumulate = false, SimdWidth width = SimdWidth.Auto)
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
        fixed (sbyte* pw = weights.Values)
        fixed (float* ps = weights.Scales, px = x, py = y)
        {
            Run(pw, cols, ps, px, cols, py, rows, batch, 0, rows, cols, accumulate, width);
        }
    }

    /// <summary>
    /// The same products on raw pointers for rows [rowStart, rowEnd) only, for the engine's own buffers and for
    /// splitting rows between threads (which changes no bit). <paramref name="width"/> must be resolved.
    /// </summary>
    internal static void Run(
        sbyte* w, int ldw, float* scales, float* x, int ldx, float* y, int ldy,
        int batch, int rowStart, int rowEnd, int cols, bool accumulate, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Vector512:
                Int8MatVecKernel<Vector512Ops, Int8Widening512, Vector512<float>>.Compute(w, ldw, scales, x, ldx, y, ldy, batch, rowStart, rowEnd, cols, accumulate);
                break;
            case SimdWidth.Vector256:
                Int8MatVecKernel<Vector256Ops, Int8Widening256, Vector256<float>>.Compute(w, ldw, scales, x, ldx, y, ldy, batch, rowStart, rowEnd, cols, accumulate);
                break;
            case SimdWidth.Vector128:
                Int8MatVecKernel<Vector128Ops, Int8Widening128, Vector128<float>>.Compute(w, ldw, scales, x, ldx, y, ldy, batch, rowStart, rowEnd, cols, accumulate);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(width), width, "Resolve the width first.");
        }
    }
}
