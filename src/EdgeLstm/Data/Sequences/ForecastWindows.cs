namespace EdgeLstm.Data.Sequences;

/// <summary>
/// The (last W steps → next H values) pairs of one <see cref="TimeSeries"/>, read straight from the series (never
/// copied per window): window i covers steps [first + i, first + i + W) and forecasts steps [first + i + W, + H).
/// The targets are per sequence: H values of each target feature, horizon-major.
/// </summary>
public sealed class ForecastWindows : ISequenceSource
{
    private readonly TimeSeries _series;
    private readonly int _first;

    private ForecastWindows(TimeSeries series, ForecastSpec spec, int first, int count)
    {
        _series = series;
        Spec = spec;
        _first = first;
        Count = count;
    }

    /// <summary>The window, horizon, targets and transform.</summary>
    public ForecastSpec Spec { get; }

    /// <summary>The series the windows read.</summary>
    public TimeSeries Series => _series;

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public int FeatureCount => _series.FeatureCount;

    /// <inheritdoc/>
    public int MaxLength => Spec.Window;

    /// <inheritdoc/>
    public SequenceTargetKind TargetKind => SequenceTargetKind.SequenceValues;

    /// <inheritdoc/>
    public int TargetWidth => Spec.OutputWidth;

    /// <inheritdoc/>
    public int ClassCount => 0;

    /// <inheritdoc/>
    public IReadOnlyList<string> FeatureNames => _series.FeatureNames;

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames => null;

    /// <summary>Every window of <paramref name="series"/>; a series shorter than W + H is an error naming <paramref name="source"/>.</summary>
    public static ForecastWindows All(TimeSeries series, ForecastSpec spec, string source)
    {
        int count = WindowCount(series, spec, source);
        return new ForecastWindows(series, spec, 0, count);
    }

    /// <summary>
    /// A time-ordered split: the last ⌊<paramref name="validationFraction"/>·steps⌋ steps are the validation span.
    /// Training windows end — targets included — before it, so no validation value is ever a training input or
    /// target; validation windows forecast steps inside it (their inputs may reach back into the training span, as at
    /// forecast time). Windows whose targets straddle the boundary belong to neither.
    /// </summary>
    public static (ForecastWindows Train, ForecastWindows Validation) Split(TimeSeries series, ForecastSpec spec, double validationFraction, string source)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be between 0 and 1.");
        }

        WindowCount(series, spec, source);
        int w = spec.Window, h = spec.Horizon, steps = series.Length;
        int boundary = steps - (int)Math.Floor(validationFraction * steps);
        int trainCount = boundary - w - h + 1;
        int validationFirst = Math.Max(0, boundary - w);
        int validationCount = steps - w - h + 1 - validationFirst;
        if (trainCount < 1 || validationCount < 1)
        {
            throw new DataFormatException(source, "validation", $"expected at least one training and one validation window, found {Math.Max(trainCount, 0)} and {Math.Max(validationCount, 0)} (series of {steps} steps, validation from step {boundary}, window {w}, horizon {h})");
        }

        return (new ForecastWindows(series, spec, 0, trainCount), new ForecastWindows(series, spec, validationFirst, validationCount));
    }

    /// <summary>The series step where window <paramref name="index"/> starts.</summary>
    public int StartStep(int index) => _first + CheckIndex(index);

    /// <summary>The series step of window <paramref name="index"/>'s first forecast.</summary>
    public int FirstTargetStep(int index) => StartStep(index) + Spec.Window;

    /// <summary>The raw last observed step of window <paramref name="index"/> (what the naive forecast repeats and what relative outputs add back).</summary>
    public ReadOnlySpan<float> LastObserved(int index) => _series.Step(StartStep(index) + Spec.Window - 1);

    /// <inheritdoc/>
    public int Length(int index)
    {
        CheckIndex(index);
        return Spec.Window;
    }

    /// <inheritdoc/>
    public int CopySteps(int index, Span<float> steps)
    {
        int w = Spec.Window;
        Span<float> window = steps[..(w * FeatureCount)];
        _series.Steps(StartStep(index), w).CopyTo(window);
        Spec.PrepareInputs(window, FeatureCount);
        return w;
    }

    /// <summary>Writes window <paramref name="index"/>'s targets (H × targets), relative to its last value when the spec says so.</summary>
    public void CopyTargets(int index, Span<float> targets)
    {
        int k = Spec.TargetFeatures.Count;
        int first = FirstTargetStep(index);
        for (int h = 0; h < Spec.Horizon; h++)
        {
            ReadOnlySpan<float> step = _series.Step(first + h);
            for (int j = 0; j < k; j++)
            {
                targets[(h * k) + j] = step[Spec.TargetFeatures[j]];
            }
        }

        Spec.PrepareTargets(LastObserved(index), targets[..Spec.OutputWidth]);
    }

    /// <inheritdoc/>
    public void GatherBatch(ReadOnlySpan<int> indices, int steps, Span<float> inputs, Span<int> lengths, Span<int> classes, Span<float> values)
    {
        BatchLayout.Check(this, indices.Length, steps, inputs, lengths, classes, values);
        int f = FeatureCount;
        if (Spec.Window > steps)
        {
            throw new ArgumentException($"Windows have {Spec.Window} steps, more than the batch's {steps}.", nameof(steps));
        }

        for (int b = 0; b < indices.Length; b++)
        {
            Span<float> row = inputs.Slice(b * steps * f, steps * f);
            lengths[b] = CopySteps(indices[b], row);
            row[(Spec.Window * f)..].Clear();
            CopyTargets(indices[b], values.Slice(b * TargetWidth, TargetWidth));
        }
    }

    private static int WindowCount(TimeSeries series, ForecastSpec spec, string source)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate(series.FeatureCount);
        long needed = (long)spec.Window + spec.Horizon;
        if (series.Length < needed)
        {
            throw new DataFormatException(source, "window", $"expected a series of at least window + horizon = {spec.Window} + {spec.Horizon} = {needed} steps, found {series.Length}");
        }

        return (int)(series.Length - needed + 1);
    }

    private int CheckIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return index;
    }
}
