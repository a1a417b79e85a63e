namespace EdgeLstm.Data.Sequences;

/// <summary>
/// Per-column mean and scale, computed on the training split only, that a model file stores so a board can feed raw
/// readings: a value becomes (x − mean) / scale. The scale is the population standard deviation, or 1 for a constant
/// column (whose values then all become 0 instead of a division by zero).
/// </summary>
public sealed class NormalizationStatistics
{
    private readonly float[] _mean;
    private readonly float[] _scale;

    /// <summary>Wraps <paramref name="mean"/> and <paramref name="scale"/> (one each per column; scales finite and positive).</summary>
    public NormalizationStatistics(float[] mean, float[] scale)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(scale);
        if (mean.Length != scale.Length || mean.Length == 0)
        {
            throw new ArgumentException($"Expected as many means as scales (at least one); got {mean.Length} and {scale.Length}.", nameof(scale));
        }

        for (int i = 0; i < mean.Length; i++)
        {
            if (!float.IsFinite(mean[i]) || !float.IsFinite(scale[i]) || !(scale[i] > 0))
            {
                throw new ArgumentException($"Column {i}: expected a finite mean and a finite positive scale, got {mean[i]} and {scale[i]}.", nameof(scale));
            }
        }

        _mean = mean;
        _scale = scale;
    }

    /// <summary>Columns.</summary>
    public int Width => _mean.Length;

    /// <summary>The mean of each column.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>The scale of each column (standard deviation, or 1 when constant).</summary>
    public IReadOnlyList<float> Scale => _scale;

    /// <summary>Statistics of every input feature over every real step (no padding) of the sequences at <paramref name="indices"/>.</summary>
    public static NormalizationStatistics ForFeatures(ISequenceSource source, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        var steps = new float[source.MaxLength * source.FeatureCount];
        var accumulator = new Accumulator(source.FeatureCount);
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (int index in indices)
            {
                int length = source.CopySteps(index, steps);
                accumulator.Add(pass, steps.AsSpan(0, length * source.FeatureCount));
            }

            accumulator.EndPass(pass);
        }

        return accumulator.Result();
    }

    /// <summary>Statistics of each value target over the sequences at <paramref name="indices"/> (per step for per-step targets).</summary>
    public static NormalizationStatistics ForTargets(ISequenceSource source, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        bool perStep = source.TargetKind == SequenceTargetKind.StepValues;
        if (!perStep && source.TargetKind != SequenceTargetKind.SequenceValues)
        {
            throw new InvalidOperationException($"The targets are {source.TargetKind}, not values.");
        }

        int t = source.MaxLength, k = source.TargetWidth;
        var inputs = new float[t * source.FeatureCount];
        var values = new float[perStep ? t * k : k];
        var length = new int[1];
        var accumulator = new Accumulator(k);
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (int index in indices)
            {
                source.GatherBatch([index], t, inputs, length, [], values);
                accumulator.Add(pass, values.AsSpan(0, perStep ? length[0] * k : k));
            }

            accumulator.EndPass(pass);
        }

        return accumulator.Result();
    }

    /// <summary>Normalises rows of <see cref="Width"/> values in place.</summary>
    public void Normalize(Span<float> rows)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            int c = i % Width;
            rows[i] = (rows[i] - _mean[c]) / _scale[c];
        }
    }

    /// <summary>Undoes <see cref="Normalize"/> in place (turns network outputs back into readings).</summary>
    public void Denormalize(Span<float> rows)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            int c = i % Width;
            rows[i] = (rows[i] * _scale[c]) + _mean[c];
        }
    }

    /// <summary>Two passes in float64 (mean, then squared deviations), in index order, so the result is the same bits every run.</summary>
    private sealed class Accumulator(int width)
    {
        private readonly double[] _sum = new double[width];
        private readonly double[] _mean = new double[width];
        private long _rows;

        public void Add(int pass, ReadOnlySpan<float> rows)
        {
            for (int i = 0; i < rows.Length; i++)
            {
                int c = i % width;
                double x = rows[i];
                _sum[c] += pass == 0 ? x : (x - _mean[c]) * (x - _mean[c]);
            }

            if (pass == 0)
            {
                _rows += rows.Length / width;
            }
        }

        public void EndPass(int pass)
        {
            if (_rows == 0)
            {
                throw new InvalidOperationException("Statistics need at least one step.");
            }

            if (pass == 0)
            {
                for (int c = 0; c < width; c++)
                {
                    _mean[c] = _sum[c] / _rows;
                    _sum[c] = 0;
                }
            }
        }

        public NormalizationStatistics Result()
        {
            var mean = new float[width];
            var scale = new float[width];
            for (int c = 0; c < width; c++)
            {
                mean[c] = (float)_mean[c];
                float std = (float)Math.Sqrt(_sum[c] / _rows);
                scale[c] = std > 0 && float.IsNormal(std) ? std : 1f;
            }

            return new NormalizationStatistics(mean, scale);
        }
    }
}
