namespace EdgeLstm.Data.Sequences;

/// <summary>
/// Sequences a trainer, an evaluator or a statistics pass can read by index: a <see cref="SequenceDataset"/> (every
/// sequence stored once) or <see cref="ForecastWindows"/> (overlapping windows over one stored series, never copied).
/// </summary>
/// <remarks>
/// A batch is padded and batch-major: inputs [B×T×F] with zeros after each sequence's length; class targets per step
/// [B×T] with -1 after the length; value targets per step [B×T×K] with zeros after the length; per-sequence targets
/// [B] or [B×K]. The caller owns every span, so gathering a batch allocates nothing.
/// </remarks>
public interface ISequenceSource
{
    /// <summary>Number of sequences.</summary>
    int Count { get; }

    /// <summary>Inputs per time step (F).</summary>
    int FeatureCount { get; }

    /// <summary>The longest sequence, in steps.</summary>
    int MaxLength { get; }

    /// <summary>What the targets are.</summary>
    SequenceTargetKind TargetKind { get; }

    /// <summary>Numbers per target (K) for value targets; 1 for class targets; 0 without targets.</summary>
    int TargetWidth { get; }

    /// <summary>Number of classes for class targets (class indices are 0 to ClassCount − 1); 0 otherwise.</summary>
    int ClassCount { get; }

    /// <summary>The feature column names, one per feature.</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The class names when the classes came as names (index order), otherwise null.</summary>
    IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The number of steps of sequence <paramref name="index"/> (at least 1).</summary>
    int Length(int index);

    /// <summary>Copies the steps of sequence <paramref name="index"/> (Length·F floats, step-major) to the start of <paramref name="steps"/>; returns the length.</summary>
    int CopySteps(int index, Span<float> steps);

    /// <summary>
    /// Gathers the sequences at <paramref name="indices"/> into a padded batch of <paramref name="steps"/> steps (see the
    /// remarks for the layouts). <paramref name="classes"/> must be empty unless the targets are classes and
    /// <paramref name="values"/> empty unless they are values; each sequence must fit in <paramref name="steps"/>.
    /// </summary>
    void GatherBatch(ReadOnlySpan<int> indices, int steps, Span<float> inputs, Span<int> lengths, Span<int> classes, Span<float> values);
}
