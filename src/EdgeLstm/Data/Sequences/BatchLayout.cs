namespace EdgeLstm.Data.Sequences;

/// <summary>The span sizes of a padded batch (see <see cref="ISequenceSource"/>), checked in one place for every source.</summary>
internal static class BatchLayout
{
    /// <summary>Throws unless every span has exactly the size a batch of <paramref name="batch"/>×<paramref name="steps"/> needs.</summary>
    public static void Check(ISequenceSource source, int batch, int steps, Span<float> inputs, Span<int> lengths, Span<int> classes, Span<float> values)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        long inputFloats = (long)batch * steps * source.FeatureCount;
        long classCount = source.TargetKind switch
        {
            SequenceTargetKind.SequenceClass => batch,
            SequenceTargetKind.StepClass => (long)batch * steps,
            _ => 0,
        };
        long valueCount = source.TargetKind switch
        {
            SequenceTargetKind.SequenceValues => (long)batch * source.TargetWidth,
            SequenceTargetKind.StepValues => (long)batch * steps * source.TargetWidth,
            _ => 0,
        };
        if (inputs.Length != inputFloats || lengths.Length != batch || classes.Length != classCount || values.Length != valueCount)
        {
            throw new ArgumentException(
                $"A batch of {batch}×{steps} steps with {source.TargetKind} targets needs {inputFloats} input floats, {batch} lengths, {classCount} classes and {valueCount} values; " +
                $"got {inputs.Length}, {lengths.Length}, {classes.Length} and {values.Length}.");
        }
    }
}
