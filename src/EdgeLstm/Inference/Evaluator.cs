using EdgeLstm.Data;
using EdgeLstm.Model;

namespace EdgeLstm.Inference;

/// <summary>Runs a labelled set through a predictor in batches and counts what it gets right.</summary>
public static class Evaluator
{
    /// <summary>The index of the largest value (the first, on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Accuracy and confusion matrix of <paramref name="predictor"/>'s model on <paramref name="set"/>.</summary>
    /// <param name="batchSize">Examples per forward pass; larger is faster up to the cache size.</param>
    /// <param name="progress">Called with the examples done so far, after each batch.</param>
    public static EvaluationResult Evaluate(LstmPredictor predictor, LabeledImages set, int batchSize = 500, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, ModelLimits.MaxBatchSize);
        int classes = predictor.Model.Config.Classes;
        int length = set.Images.ImageLength;
        var result = new EvaluationResult(classes);
        var inputs = new float[Math.Min(batchSize, set.Count) * length];
        var labels = new int[Math.Min(batchSize, set.Count)];
        var probabilities = new float[labels.Length * classes];
        for (int start = 0; start < set.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, set.Count - start);
            set.CopyRange(start, inputs.AsSpan(0, count * length), labels.AsSpan(0, count));
            predictor.Predict(inputs.AsSpan(0, count * length), count, probabilities.AsSpan(0, count * classes));
            for (int b = 0; b < count; b++)
            {
                result.Add(labels[b], ArgMax(probabilities.AsSpan(b * classes, classes)));
            }

            progress?.Invoke(start + count);
        }

        return result;
    }
}
