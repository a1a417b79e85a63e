using System.Globalization;

namespace EdgeLstm.Training;

/// <summary>
/// The check a caller from outside (the C ABI, a data reader) makes before training a regression on float targets:
/// every target the loss reads must be finite. A NaN or an infinity would not crash the trainer (the step is skipped
/// when the gradient is not finite), but it would make the batch's loss meaningless without saying which value was wrong.
/// </summary>
public static class RegressionTargets
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first non-finite target the loss reads: targets [B×K] for a
    /// last-step head, or batch-major [B×T×K] for a per-step head, where a padded step (t ≥ <paramref name="lengths"/>[b])
    /// is not read and may hold anything. Empty <paramref name="lengths"/> means every sample is full length; a length
    /// out of range is left for the trainer to refuse.
    /// </summary>
    public static void CheckFinite(ReadOnlySpan<float> targets, int batch, int steps, int outputs, bool everyStep, ReadOnlySpan<int> lengths = default)
    {
        int rowsPerSample = everyStep ? steps : 1;
        for (int b = 0; b < batch; b++)
        {
            int real = everyStep && !lengths.IsEmpty ? Math.Clamp(lengths[b], 0, steps) : rowsPerSample;
            for (int t = 0; t < real; t++)
            {
                int first = ((b * rowsPerSample) + t) * outputs;
                for (int k = 0; k < outputs; k++)
                {
                    float value = targets[first + k];
                    if (!float.IsFinite(value))
                    {
                        string where = everyStep ? $"sample {b}, step {t}, output {k}" : $"sample {b}, output {k}";
                        throw new ArgumentException($"targets[{first + k}] ({where}) is {value.ToString(CultureInfo.InvariantCulture)}; every target must be finite.", nameof(targets));
                    }
                }
            }
        }
    }
}
