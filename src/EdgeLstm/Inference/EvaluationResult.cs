using EdgeLstm.Model;

namespace EdgeLstm.Inference;

/// <summary>Accuracy and confusion matrix of a model on a labelled set.</summary>
public sealed class EvaluationResult
{
    /// <summary>Creates an empty result for <paramref name="classes"/> classes (1 to <see cref="ModelLimits.MaxClasses"/>).</summary>
    public EvaluationResult(int classes)
    {
        // The matrix is classes² counters: the limit keeps it at most 64 MiB.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, ModelLimits.MaxClasses);
        Confusion = new int[classes, classes];
    }

    /// <summary>Counts by [true class, predicted class].</summary>
    public int[,] Confusion { get; }

    /// <summary>Examples evaluated.</summary>
    public int Total { get; private set; }

    /// <summary>Examples classified right.</summary>
    public int Correct { get; private set; }

    /// <summary>
    /// Examples whose probabilities were not all finite (NaN or infinite: a model whose finite weights overflow float
    /// arithmetic). They are not in <see cref="Total"/> or the confusion matrix: no class was predicted for them, and a
    /// caller should refuse to report an accuracy while any exist.
    /// </summary>
    public int NonFinite { get; private set; }

    /// <summary>Correct / Total (0 for an empty set).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>
    /// Counts one example from its probabilities (<see cref="Evaluator.PredictedClass"/>): into the matrix under the class
    /// they predict, or into <see cref="NonFinite"/> when they predict none.
    /// </summary>
    public void Add(int actual, ReadOnlySpan<float> probabilities)
    {
        int predicted = Evaluator.PredictedClass(probabilities);
        if (predicted < 0)
        {
            NonFinite++;
        }
        else
        {
            Add(actual, predicted);
        }
    }

    /// <summary>Counts one example.</summary>
    public void Add(int actual, int predicted)
    {
        Confusion[actual, predicted]++;
        Total++;
        if (actual == predicted)
        {
            Correct++;
        }
    }
}
