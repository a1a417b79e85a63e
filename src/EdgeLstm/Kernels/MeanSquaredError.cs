namespace EdgeLstm.Kernels;

/// <summary>The squared error of real-valued outputs against targets, forward and backward.</summary>
internal static class MeanSquaredError
{
    /// <summary>Σ (output − target)², summed in double so a long sequence loses nothing to the order of the sum.</summary>
    public static double Sum(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        double sum = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            double d = (double)outputs[i] - targets[i];
            sum += d * d;
        }

        return sum;
    }

    /// <summary>∂(Σ (y − t)² · scale)/∂y = 2·(y − t)·<paramref name="scale"/>.</summary>
    public static void Backward(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, Span<float> dOutputs, float scale)
    {
        float twice = 2f * scale;
        for (int i = 0; i < outputs.Length; i++)
        {
            dOutputs[i] = (outputs[i] - targets[i]) * twice;
        }
    }
}
