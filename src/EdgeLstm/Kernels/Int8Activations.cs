using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using EdgeLstm.Quantization;

namespace EdgeLstm.Kernels;

/// <summary>
/// Dynamic quantisation of one activation vector for the integer products: symmetric int8 with one fp32 scale per
/// vector (scale = max|x|/127, q = x / scale rounded by <see cref="Int8Quantizer.Round(float)"/>, the weights' rounding:
/// ties to even, as PyTorch's <c>quantize_per_tensor</c>), so x ≈ scale·q within half a step. The vector is padded with
/// zeros to whole groups of four. Every operation is exact or correctly rounded (a maximum, one division, a rounding),
/// so the 128-bit body and the scalar tail give the same q on every processor.
/// </summary>
internal static unsafe class Int8Activations
{
    /// <summary>
    /// Quantises x[0..cols) into q[0..groups·4) and returns the scale: 0 for a vector of zeros (all q 0), NaN when x
    /// holds a NaN or an infinity (all q 0, so every product with it is NaN, as in fp32).
    /// </summary>
    public static float Quantize(float* x, int cols, sbyte* q, int groups)
    {
        new Span<sbyte>(q, groups * 4).Clear();
        float max = cols == 0 ? 0 : MathF.Abs(TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(x, cols)));
        if (!float.IsFinite(max))
        {
            return float.NaN;
        }

        float scale = max / 127f;
        if (scale == 0)
        {
            // Zeros, or a max so small that max/127 underflows: every q would round to 0 anyway.
            return 0;
        }

        // A division, not a multiplication by 1/scale: 1/scale overflows for a subnormal scale. |x/scale| ≤ 127 up
        // to the rounding of the scale, so the rounded values fit a byte.
        var s = Vector128.Create(scale);
        int k = 0;
        for (; k + 16 <= cols; k += 16)
        {
            var a = Vector128.Narrow(Int8Quantizer.Round(Vector128.Load(x + k) / s), Int8Quantizer.Round(Vector128.Load(x + k + 4) / s));
            var b = Vector128.Narrow(Int8Quantizer.Round(Vector128.Load(x + k + 8) / s), Int8Quantizer.Round(Vector128.Load(x + k + 12) / s));
            Vector128.Narrow(a, b).Store(q + k);
        }

        for (; k < cols; k++)
        {
            q[k] = Int8Quantizer.Round(x[k] / scale);
        }

        return scale;
    }
}
