using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeLstm.Simd;

namespace EdgeLstm.Kernels;

/// <summary>
/// Products with an int8 weight matrix (<see cref="Int8PanelMatrix"/>) and fp32 activations quantised on the fly to
/// int8 per input row: y (+)= W·x for one input (batch 1, the streaming step) or Y (+)= X·Wᵀ for several (X [batch ×
/// cols]). Integer dot products (AVX-VNNI, ARM SDOT, or portable shifts) over a quarter of fp32's bytes; every output is
/// the same exact integer sum and the same final rounding at every width and batch size (see
/// <see cref="Int8PanelKernel{TDot, TV}"/>).
/// </summary>
public static unsafe class Int8MatVec
{
    [ThreadStatic]
    private static Int8ActivationBuffer? s_buffer;

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

        width = width == SimdWidth.Auto ? Preferred(SimdSupport.Widest) : SimdSupport.Resolve(width);
        var buffer = s_buffer ??= new Int8ActivationBuffer();
        fixed (float* px = x, py = y)
        {
            buffer.Quantize(weights, px, cols, batch, Biased(width));
            Run(weights, buffer, py, rows, batch, 0, rows, accumulate, width);
        }
    }

    /// <summary>
    /// The fastest width for the int8 products given the fp32 kernels' <paramref name="width"/>: 256-bit AVX-VNNI
    /// beats 512-bit shifts (.NET exposes no 512-bit VNNI); the bits are the same either way.
    /// </summary>
    internal static SimdWidth Preferred(SimdWidth width) => width == SimdWidth.Vector512 && AvxVnni.IsSupported ? SimdWidth.Vector256 : width;

    /// <summary>True when the kernel at <paramref name="width"/> takes its activations as q + 128 (VNNI).</summary>
    internal static bool Biased(SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => Int8Dot512.Biased,
        SimdWidth.Vector256 => Int8Dot256.Biased,
        _ => Int8Dot128.Biased,
    };

    /// <summary>
    /// The products of the quantised rows in <paramref name="x"/> for output rows [rowStart, rowEnd) only (rowStart a
    /// multiple of <see cref="Int8PanelMatrix.Width"/>), for the engine's own buffers and for splitting rows between
    /// threads (which changes no bit). <paramref name="width"/> must be resolved.
    /// </summary>
    internal static void Run(Int8PanelMatrix w, Int8ActivationBuffer x, float* y, int ldy, int batch, int rowStart, int rowEnd, bool accumulate, SimdWidth width)
        => Run(w, x.Values, x.Stride, x.Scales, y, ldy, batch, rowStart, rowEnd, accumulate, width);

    /// <summary>As above, on quantised rows at <paramref name="xq"/> (row stride <paramref name="ldq"/>) and their scales.</summary>
    internal static void Run(Int8PanelMatrix w, sbyte* xq, int ldq, float* xScales, float* y, int ldy, int batch, int rowStart, int rowEnd, bool accumulate, SimdWidth width)
    {
        if (rowStart >= rowEnd || batch == 0)
        {
            return;
        }

        switch (width)
        {
            case SimdWidth.Vector512:
                Int8PanelKernel<Int8Dot512, Vector512<int>>.Compute(w, xq, ldq, xScales, y, ldy, batch, rowStart, rowEnd, accumulate);
                break;
            case SimdWidth.Vector256:
                Int8PanelKernel<Int8Dot256, Vector256<int>>.Compute(w, xq, ldq, xScales, y, ldy, batch, rowStart, rowEnd, accumulate);
                break;
            case SimdWidth.Vector128:
                Int8PanelKernel<Int8Dot128, Vector128<int>>.Compute(w, xq, ldq, xScales, y, ldy, batch, rowStart, rowEnd, accumulate);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(width), width, "Resolve the width first.");
        }
    }
}
