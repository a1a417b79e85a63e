using System.Numerics.Tensors;

namespace EdgeLstm.Kernels;

/// <summary>Row-wise softmax and the cross-entropy against integer labels, forward and backward.</summary>
internal static class SoftmaxCrossEntropy
{
    /// <summary>Softmax of each row of <paramref name="logits"/> [rows×classes] into <paramref name="probabilities"/>.</summary>
    /// <remarks>
    /// TensorPrimitives.SoftMax divides exp(x) by Σ exp(x) as they stand, which is ∞/∞ once a logit passes about 88 and
    /// 0/0 when every logit is below about −87: NaN for a confident or a saturated model. Such rows (largest logit
    /// outside ±<see cref="PlainRange"/>) are computed as exp(x − max) / Σ exp(x − max), the same function; the others
    /// keep TensorPrimitives' arithmetic, so every probability a model gave (and the training those fed) keeps its bits.
    /// Below the range a row's sum is at least exp(−80) and above it at most 4096·exp(80): never 0, never ∞.
    /// <paramref name="probabilities"/> may be <paramref name="logits"/> itself.
    /// </remarks>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities, int rows, int classes)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = logits.Slice(r * classes, classes);
            var p = probabilities.Slice(r * classes, classes);
            float max = TensorPrimitives.Max(row);
            if (max is > -PlainRange and < PlainRange)
            {
                TensorPrimitives.SoftMax(row, p);
            }
            else
            {
                // A NaN or infinite logit lands here too, and its row stays NaN: no class can be read from it.
                TensorPrimitives.Subtract(row, max, p);
                TensorPrimitives.Exp(p, p);
                TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
            }
        }
    }

    /// <summary>The largest logit magnitude a row may have for exp to be taken of its logits as they stand.</summary>
    private const float PlainRange = 80f;

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

    /// <summary>
    /// The label of a row that reads no real step (a padded step, an empty slot), as the sequence readers write it: it
    /// adds nothing to the loss and gets a zero gradient.
    /// </summary>
    public const int NoLabel = -1;

    /// <summary>∂loss/∂logits = (p − onehot(label))·<paramref name="scale"/>; zeros for a row of <see cref="NoLabel"/>.</summary>
    public static void Backward(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, Span<float> dLogits, int classes, float scale)
    {
        for (int r = 0; r < labels.Length; r++)
        {
            var p = probabilities.Slice(r * classes, classes);
            var d = dLogits.Slice(r * classes, classes);
            if (labels[r] == NoLabel)
            {
                d.Clear();
                continue;
            }

            TensorPrimitives.Multiply(p, scale, d);
            d[labels[r]] -= scale;
        }
    }
}
