using System.Numerics.Tensors;

namespace EdgeLstm.Kernels;

/// <summary>Row-wise softmax and the cross-entropy against integer labels, forward and backward.</summary>
internal static class SoftmaxCrossEntropy
{
    /// <summary>Softmax of each row of <paramref name="logits"/> [rows×classes] into <paramref name="probabilities"/>.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities, int rows, int classes)
    {
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.SoftMax(logits.Slice(r * classes, classes), probabilities.Slice(r * classes, classes));
        }
    }

    /// <summary>Σ over rows of −log p[label], from the logits (log-sum-exp, so a confident wrong answer stays finite).</summary>
    public static double SumNegativeLogLikelihood(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        double sum = 0;
        for (int r = 0; r < labels.Length; r++)
        {
            var row = logits.Slice(r * classes, classes);
            float max = TensorPrimitives.Max(row);
            double z = 0;
            foreach (float v in row)
            {
                z += Math.Exp(v - max);
            }

            sum += max + Math.Log(z) - row[labels[r]];
        }

        return sum;
    }

    /// <summary>∂loss/∂logits = (p − onehot(label))·<paramref name="scale"/>.</summary>
    public static void Backward(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, Span<float> dLogits, int classes, float scale)
    {
        for (int r = 0; r < labels.Length; r++)
        {
            var p = probabilities.Slice(r * classes, classes);
            var d = dLogits.Slice(r * classes, classes);
            TensorPrimitives.Multiply(p, scale, d);
            d[labels[r]] -= scale;
        }
    }
}
