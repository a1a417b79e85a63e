namespace EdgeLstm.Data.Sequences;

/// <summary>
/// One time series, step after step: F float32 features per step (stored once), which of them are forecast, and the
/// date of each step when the file had a date column.
/// </summary>
public sealed class TimeSeries
{
    private readonly float[] _values;
    private readonly string[] _featureNames;
    private readonly int[] _targetFeatures;
    private readonly long[] _dates;

    /// <summary>
    /// Wraps <paramref name="values"/> (steps × featureNames.Length, not copied). <paramref name="targetFeatures"/> lists
    /// the features forecast, in target order; <paramref name="dates"/> holds one key per step (a year, or YYYYMMDD as a
    /// number) for <paramref name="dateKind"/>, or is empty without a date column.
    /// </summary>
    public TimeSeries(float[] values, string[] featureNames, int[] targetFeatures, DateColumnKind dateKind = DateColumnKind.None, long[]? dates = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(targetFeatures);
        ArgumentOutOfRangeException.ThrowIfZero(featureNames.Length, nameof(featureNames));
        ArgumentOutOfRangeException.ThrowIfZero(targetFeatures.Length, nameof(targetFeatures));
        if (values.Length % featureNames.Length != 0)
        {
            throw new ArgumentException($"{values.Length} values are not whole steps of {featureNames.Length} features.", nameof(values));
        }

        foreach (int target in targetFeatures)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(targetFeatures));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(target, featureNames.Length, nameof(targetFeatures));
        }

        dates ??= [];
        int length = values.Length / featureNames.Length;
        if ((dateKind == DateColumnKind.None) != (dates.Length == 0) || (dates.Length != 0 && dates.Length != length))
        {
            throw new ArgumentException($"{length} steps need {length} dates with a date column and none without; got {dates.Length} ({dateKind}).", nameof(dates));
        }

        _values = values;
        _featureNames = featureNames;
        _targetFeatures = targetFeatures;
        _dates = dates;
        Length = length;
        DateKind = dateKind;
    }

    /// <summary>Number of steps.</summary>
    public int Length { get; }

    /// <summary>Features per step.</summary>
    public int FeatureCount => _featureNames.Length;

    /// <summary>The feature column names.</summary>
    public IReadOnlyList<string> FeatureNames => _featureNames;

    /// <summary>The features that are forecast, as indices into the features, in target order.</summary>
    public IReadOnlyList<int> TargetFeatures => _targetFeatures;

    /// <summary>How the dates were written, or None without a date column.</summary>
    public DateColumnKind DateKind { get; }

    /// <summary>The features of step <paramref name="step"/>.</summary>
    public ReadOnlySpan<float> Step(int step) => _values.AsSpan(step * FeatureCount, FeatureCount);

    /// <summary>Steps [<paramref name="start"/>, start + count) as one step-major span.</summary>
    public ReadOnlySpan<float> Steps(int start, int count) => _values.AsSpan(start * FeatureCount, count * FeatureCount);

    /// <summary>The date of step <paramref name="step"/> as the file wrote it, or the step number without a date column.</summary>
    public string Date(int step) => DateKind == DateColumnKind.None
        ? step.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : DateColumn.Format(DateKind, _dates[step]);
}
