using System.Numerics.Tensors;
using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Model;

namespace EdgeLstm.Inference;

/// <summary>Runs a labelled set through a predictor in batches and counts what it gets right.</summary>
public static class Evaluator
{
    /// <summary>
    /// The class a row of probabilities predicts: its arg-max, or −1 when a value is not finite (a model whose weights
    /// overflow): ArgMax would read NaN as class 0. Every count of right answers goes through this one rule.
    /// </summary>
    public static int PredictedClass(ReadOnlySpan<float> probabilities)
        => float.IsFinite(TensorPrimitives.MaxMagnitude(probabilities)) ? ArgMax(probabilities) : -1;

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
        CheckArguments(predictor, set, batchSize);
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
            Count(result, probabilities.AsSpan(0, count * classes), labels.AsSpan(0, count));
            progress?.Invoke(start + count);
        }

        return result;
    }

    /// <summary>
    /// Accuracy and confusion matrix of <paramref name="predictor"/>'s classifier on sequences of any lengths: a class
    /// per sequence for a last-step head (each sequence's own last step, pack_padded_sequence semantics), a class per
    /// step for a per-step head, where only the real steps of each sequence count (padding is neither right nor wrong).
    /// </summary>
    /// <param name="batchSize">Sequences per forward pass (fewer when a batch of the set's longest sequences would pass <see cref="ModelLimits"/>); each batch is padded to the longest sequence of the set.</param>
    /// <param name="progress">Called with the sequences done so far, after each batch.</param>
    /// <exception cref="ArgumentException">The model's head does not fit the set's targets, or their feature or class counts differ.</exception>
    public static EvaluationResult Evaluate(LstmPredictor predictor, ISequenceSource set, int batchSize = 500, Action<int>? progress = null)
    {
        CheckArguments(predictor, set, batchSize);
        var config = predictor.Model.Config;
        var wanted = config.Head switch
        {
            HeadKind.ClassifyLastStep => SequenceTargetKind.SequenceClass,
            HeadKind.ClassifyEveryStep => SequenceTargetKind.StepClass,
            _ => throw new ArgumentException($"Accuracy needs a classifier; the model's head is {config.Head}.", nameof(predictor)),
        };
        if (set.TargetKind != wanted)
        {
            throw new ArgumentException($"The model's head ({config.Head}) needs {wanted} targets; the set has {set.TargetKind}.", nameof(set));
        }

        if (set.FeatureCount != config.InputSize || set.ClassCount > config.Classes)
        {
            throw new ArgumentException($"The set has {set.FeatureCount} features and {set.ClassCount} classes; the model reads {config.InputSize} and has {config.Classes}.", nameof(set));
        }

        var result = new EvaluationResult(config.Classes);
        if (set.Count == 0)
        {
            return result;
        }

        var runner = new SequenceRunner(predictor, set, batchSize);
        runner.Run([.. Enumerable.Range(0, set.Count)], (_, probabilities, labels, _) => Count(result, probabilities, labels), progress);
        return result;
    }

    private static void CheckArguments(LstmPredictor predictor, object set, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, ModelLimits.MaxBatchSize);
    }

    /// <summary>Adds each row's answer against its label; a negative label marks a padded step and is skipped.</summary>
    private static void Count(EvaluationResult result, ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels)
    {
        int classes = result.Confusion.GetLength(0);
        for (int row = 0; row < labels.Length; row++)
        {
            if (labels[row] >= 0)
            {
                result.Add(labels[row], probabilities.Slice(row * classes, classes));
            }
        }
    }
}
