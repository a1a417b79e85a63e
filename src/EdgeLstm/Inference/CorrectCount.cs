namespace EdgeLstm.Inference;

/// <summary>
/// How many of a classifier's head rows chose the labelled class (<see cref="Evaluator.PredictedClass"/>: the arg-max of
/// the row's probabilities; a row that is not finite chose none), counting only real steps: what an evaluation of a
/// batch reports beside its loss.
/// </summary>
public static class CorrectCount
{
    /// <summary>
    /// Right answers among a batch's head rows, and how many rows were judged. A last-step head has one row per sample:
    /// <paramref name="probabilities"/> [B×K], <paramref name="labels"/> [B]. A per-step head has one per sample and
    /// real step: <paramref name="probabilities"/> time-major [T×B×K] (as the trainer keeps them), <paramref name="labels"/>
    /// batch-major [B×T], and a padded step (t ≥ <paramref name="lengths"/>[b]; empty lengths = all T) is not judged;
    /// nor is an empty slot (length 0, which the trainer accepts to keep a batch's shape) under either head.
    /// </summary>
    public static (long Correct, long Judged) Of(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, int batch, int steps, int classes, bool everyStep, ReadOnlySpan<int> lengths = default)
    {
        long correct = 0, judged = 0;
        for (int b = 0; b < batch; b++)
        {
            if (!everyStep)
            {
                if (!lengths.IsEmpty && lengths[b] == 0)
                {
                    continue;
                }

                correct += Evaluator.PredictedClass(probabilities.Slice(b * classes, classes)) == labels[b] ? 1 : 0;
                judged++;
                continue;
            }

            int real = lengths.IsEmpty ? steps : lengths[b];
            for (int t = 0; t < real; t++)
            {
                var row = probabilities.Slice(((t * batch) + b) * classes, classes);
                correct += Evaluator.PredictedClass(row) == labels[(b * steps) + t] ? 1 : 0;
                judged++;
            }
        }

        return (correct, judged);
    }
}
