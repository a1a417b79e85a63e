using EdgeLstm.Quantization;

namespace EdgeLstm.Tests.Reference;

/// <summary>
/// The int8 product's arithmetic as plain scalar loops: each input row quantised (scale = max|x|/127, q = round half
/// to even of x/scale, clamped to ±127; scale 0 for zeros, NaN for a non-finite row), d = Σ_k q_w[i, k]·q_x[k] in
/// exact integers, then y = float(d)·(scale_i·scale_x), or fma(float(d), scale_i·scale_x, y) when accumulating. The
/// kernels must give exactly these bits at every width and on every instruction set.
/// </summary>
internal static class Int8ProductReference
{
    /// <summary>y[b·rows + i] (+)= the product of row i of W with input b.</summary>
    public static void Multiply(Int8Matrix m, ReadOnlySpan<float> x, Span<float> y, int batch, bool accumulate)
    {
        for (int b = 0; b < batch; b++)
        {
            var (q, scale) = Quantize(x.Slice(b * m.Cols, m.Cols));
            for (int i = 0; i < m.Rows; i++)
            {
                long d = 0;
                for (int k = 0; k < m.Cols; k++)
                {
                    d += m.Values[(i * m.Cols) + k] * q[k];
                }

                float s = m.Scales[i] * scale;
                ref float yi = ref y[(b * m.Rows) + i];
                yi = accumulate ? MathF.FusedMultiplyAdd(checked((int)d), s, yi) : checked((int)d) * s;
            }
        }
    }

    /// <summary>The activations' quantisation, written out independently of the library's.</summary>
    public static (int[] Q, float Scale) Quantize(ReadOnlySpan<float> x)
    {
        var q = new int[x.Length];
        foreach (float v in x)
        {
            if (!float.IsFinite(v))
            {
                return (q, float.NaN);
            }
        }

        float max = 0;
        foreach (float v in x)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        float scale = max / 127f;
        if (scale == 0)
        {
            return (q, 0);
        }

        for (int k = 0; k < x.Length; k++)
        {
            q[k] = (int)Math.Clamp(MathF.Round(x[k] / scale, MidpointRounding.ToEven), -127, 127);
        }

        return (q, scale);
    }
}
