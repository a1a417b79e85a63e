namespace EdgeLstm.Data.Sequences;

/// <summary>
/// Sequences of varying length held in their smallest form: every step's F float32 features stored once, sequence after
/// sequence, with offsets (no padding); targets as class indices or float32 values, per sequence or per step.
/// </summary>
/// <remarks>
/// The constructor checks every invariant (offsets rising from 0, lengths at least 1, targets in range and finite), so
/// a data set that exists is consistent whatever file it came from. Padding happens only in
/// <see cref="GatherBatch"/>, into spans the caller owns.
/// </remarks>
public sealed class SequenceDataset : ISequenceSource
{
    private readonly int[] _offsets;
    private readonly float[] _features;
    private readonly int[] _classes;
    private readonly float[] _values;
    private readonly string[] _featureNames;
    private readonly string[]? _classNames;
    private readonly string[]? _ids;

    /// <summary>
    /// Wraps the arrays (not copied). <paramref name="offsets"/> has Count + 1 entries, in steps: sequence i is steps
    /// [offsets[i], offsets[i + 1]). <paramref name="classes"/> holds a class per sequence or per step (empty unless the
    /// targets are classes); <paramref name="values"/> holds <paramref name="targetWidth"/> floats per sequence or per
    /// step (empty unless the targets are values). <paramref name="ids"/> names each sequence (null: its index).
    /// </summary>
    public SequenceDataset(
        int[] offsets,
        float[] features,
        string[] featureNames,
        SequenceTargetKind targetKind,
        int[] classes,
        int classCount,
        string[]? classNames,
        float[] values,
        int targetWidth,
        string[]? ids = null)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(values);
        if (offsets.Length < 1 || offsets[0] != 0)
        {
            throw new ArgumentException("Offsets must start with 0.", nameof(offsets));
        }

        int count = offsets.Length - 1;
        int maxLength = 0;
        for (int i = 0; i < count; i++)
        {
            int length = offsets[i + 1] - offsets[i];
            if (offsets[i + 1] < offsets[i] || length < 1)
            {
                throw new ArgumentException($"Sequence {i} has {length} steps; every sequence needs at least one.", nameof(offsets));
            }

            maxLength = Math.Max(maxLength, length);
        }

        int featureCount = featureNames.Length;
        ArgumentOutOfRangeException.ThrowIfZero(featureCount, nameof(featureNames));
        long steps = offsets[count];
        if (features.LongLength != steps * featureCount)
        {
            throw new ArgumentException($"{steps} steps of {featureCount} features need {steps * featureCount} floats; got {features.LongLength}.", nameof(features));
        }

        long targetRows = targetKind is SequenceTargetKind.StepClass or SequenceTargetKind.StepValues ? steps : count;
        switch (targetKind)
        {
            case SequenceTargetKind.None:
                RequireEmpty(classes, values);
                targetWidth = 0;
                classCount = 0;
                break;
            case SequenceTargetKind.SequenceClass or SequenceTargetKind.StepClass:
                ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
                if (classes.LongLength != targetRows || values.Length != 0)
                {
                    throw new ArgumentException($"{targetKind} needs {targetRows} class indices and no values; got {classes.Length} and {values.Length}.", nameof(classes));
                }

                foreach (int c in classes)
                {
                    ArgumentOutOfRangeException.ThrowIfNegative(c, nameof(classes));
                    ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(c, classCount, nameof(classes));
                }

                if (classNames is not null && classNames.Length != classCount)
                {
                    throw new ArgumentException($"{classCount} classes but {classNames.Length} names.", nameof(classNames));
                }

                targetWidth = 1;
                break;
            case SequenceTargetKind.SequenceValues or SequenceTargetKind.StepValues:
                ArgumentOutOfRangeException.ThrowIfLessThan(targetWidth, 1);
                if (values.LongLength != targetRows * targetWidth || classes.Length != 0)
                {
                    throw new ArgumentException($"{targetKind} needs {targetRows}×{targetWidth} values and no classes; got {values.Length} and {classes.Length}.", nameof(values));
                }

                classCount = 0;
                classNames = null;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(targetKind));
        }

        if (ids is not null && ids.Length != count)
        {
            throw new ArgumentException($"{count} sequences but {ids.Length} ids.", nameof(ids));
        }

        _offsets = offsets;
        _features = features;
        _featureNames = featureNames;
        _classes = classes;
        _values = values;
        _classNames = classNames;
        _ids = ids;
        Count = count;
        FeatureCount = featureCount;
        MaxLength = maxLength;
        TargetKind = targetKind;
        TargetWidth = targetWidth;
        ClassCount = classCount;
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public int FeatureCount { get; }

    /// <inheritdoc/>
    public int MaxLength { get; }

    /// <inheritdoc/>
    public SequenceTargetKind TargetKind { get; }

    /// <inheritdoc/>
    public int TargetWidth { get; }

    /// <inheritdoc/>
    public int ClassCount { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> FeatureNames => _featureNames;

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => _classNames;

    /// <summary>All steps stored, summed over the sequences.</summary>
    public int TotalSteps => _offsets[Count];

    /// <summary>The bytes the data set holds (features, targets, offsets), for reports and limits.</summary>
    public long StorageBytes => ((long)_features.Length + _classes.Length + _values.Length + _offsets.Length) * sizeof(float);

    /// <summary>The name of sequence <paramref name="index"/>: its id in the file, or its index.</summary>
    public string Id(int index) => _ids is null ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : _ids[index];

    /// <inheritdoc/>
    public int Length(int index) => _offsets[index + 1] - _offsets[index];

    /// <summary>The steps of sequence <paramref name="index"/> (Length·F floats, step-major).</summary>
    public ReadOnlySpan<float> Steps(int index) => _features.AsSpan(_offsets[index] * FeatureCount, Length(index) * FeatureCount);

    /// <summary>The class of sequence <paramref name="index"/> (per-sequence class targets).</summary>
    public int SequenceClass(int index) => TargetKind == SequenceTargetKind.SequenceClass ? _classes[index] : throw new InvalidOperationException($"The targets are {TargetKind}.");

    /// <summary>The class of each step of sequence <paramref name="index"/> (per-step class targets).</summary>
    public ReadOnlySpan<int> StepClasses(int index) => TargetKind == SequenceTargetKind.StepClass ? _classes.AsSpan(_offsets[index], Length(index)) : throw new InvalidOperationException($"The targets are {TargetKind}.");

    /// <summary>The target values of sequence <paramref name="index"/>: K floats, or Length·K for per-step values.</summary>
    public ReadOnlySpan<float> TargetValues(int index) => TargetKind switch
    {
        SequenceTargetKind.SequenceValues => _values.AsSpan(index * TargetWidth, TargetWidth),
        SequenceTargetKind.StepValues => _values.AsSpan(_offsets[index] * TargetWidth, Length(index) * TargetWidth),
        _ => throw new InvalidOperationException($"The targets are {TargetKind}."),
    };

    /// <inheritdoc/>
    public int CopySteps(int index, Span<float> steps)
    {
        ReadOnlySpan<float> source = Steps(index);
        source.CopyTo(steps);
        return Length(index);
    }

    /// <inheritdoc/>
    public void GatherBatch(ReadOnlySpan<int> indices, int steps, Span<float> inputs, Span<int> lengths, Span<int> classes, Span<float> values)
    {
        BatchLayout.Check(this, indices.Length, steps, inputs, lengths, classes, values);
        int f = FeatureCount;
        int k = TargetWidth;
        for (int b = 0; b < indices.Length; b++)
        {
            int index = indices[b];
            int length = Length(index);
            if (length > steps)
            {
                throw new ArgumentException($"Sequence {index} has {length} steps, more than the batch's {steps}.", nameof(steps));
            }

            lengths[b] = length;
            Span<float> row = inputs.Slice(b * steps * f, steps * f);
            Steps(index).CopyTo(row);
            row[(length * f)..].Clear();
            switch (TargetKind)
            {
                case SequenceTargetKind.SequenceClass:
                    classes[b] = _classes[index];
                    break;
                case SequenceTargetKind.StepClass:
                    Span<int> stepClasses = classes.Slice(b * steps, steps);
                    StepClasses(index).CopyTo(stepClasses);
                    stepClasses[length..].Fill(-1);
                    break;
                case SequenceTargetKind.SequenceValues:
                    TargetValues(index).CopyTo(values.Slice(b * k, k));
                    break;
                case SequenceTargetKind.StepValues:
                    Span<float> stepValues = values.Slice(b * steps * k, steps * k);
                    TargetValues(index).CopyTo(stepValues);
                    stepValues[(length * k)..].Clear();
                    break;
            }
        }
    }

    private static void RequireEmpty(int[] classes, float[] values)
    {
        if (classes.Length != 0 || values.Length != 0)
        {
            throw new ArgumentException("A data set without targets takes no classes and no values.");
        }
    }
}
