using EdgeLstm.Quantization;

namespace EdgeLstm.Tests.Reference;

/// <summary>
/// The int8 product's arithmetic as a plain scalar loop: for each output d = 0, d = fma(q[i, k], x[k], d) for k in
/// order, then scale·d, or fma(scale, d, y) when accumulating. The kernels must give exactly these bits at every width.
/// </summary>
internal static class Int8ProductReference
{
    /// <summary>y[b·rows + i] (+)= scale_i·Σ_k q[i, k]·x[b·cols + k] for every input b.</summary>
    public static void Multiply(Int8Matrix m, ReadOnlySpan<float> x, Span<float> y, int batch, bool accumulate)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < m.Rows; i++)
            {
                float d = 0;
                for (int k = 0; k < m.Cols; k++)
                {
                    d = MathF.FusedMultiplyAdd(m.Values[(i * m.Cols) + k], x[(b * m.Cols) + k], d);
                }

                ref float yi = ref y[(b * m.Rows) + i];
                yi = accumulate ? MathF.FusedMultiplyAdd(m.Scales[i], d, yi) : m.Scales[i] * d;
            }
        }
    }
}
