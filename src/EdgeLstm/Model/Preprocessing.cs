using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Model;

/// <summary>
/// What a model does to raw readings before its network sees them, and to its outputs after: per-feature
/// normalisation (statistics of the training split), for a regression head the target scaling, for a classifier the
/// class names, and for a forecaster its window, horizon and whether it works relative to the window's last observed
/// value. A model carries it (<see cref="LstmModel.Preprocessing"/>) and its file stores it, so
/// <see cref="Inference.LstmPredictor"/> and <see cref="Inference.LstmStream"/> (and through them the CLI and the C
/// ABI) take raw readings and give answers in the data's units with no code of their own.
/// </summary>
/// <remarks>
/// The order is fixed and the same in training and in prediction: a window is first taken relative to its last step
/// (when <see cref="Forecast"/> says so), then normalised; an output is first de-normalised, then the last observed
/// value is added back. Immutable: the arrays are copied in, so models may share it.
/// </remarks>
public sealed class Preprocessing
{
    private readonly string[]? _classNames;
    private readonly string[]? _featureNames;

    /// <summary>Creates the preprocessing; every part is optional (null).</summary>
    /// <param name="inputs">Per-feature mean and scale of the network's inputs (after the relative transform), one per input.</param>
    /// <param name="targets">Per-output mean and scale of a regression head's training targets (after the relative transform).</param>
    /// <param name="classNames">A classifier's class names, in class-index order.</param>
    /// <param name="featureNames">The input columns' names, in input order (what a reader matches a new file's columns against).</param>
    /// <param name="forecast">A forecaster's window, horizon, forecast features and transform.</param>
    public Preprocessing(NormalizationStatistics? inputs = null, NormalizationStatistics? targets = null, IReadOnlyList<string>? classNames = null, IReadOnlyList<string>? featureNames = null, ForecastSpec? forecast = null)
    {
        Inputs = inputs;
        Targets = targets;
        _classNames = classNames?.ToArray();
        _featureNames = featureNames?.ToArray();
        Forecast = forecast is null ? null : forecast with { TargetFeatures = forecast.TargetFeatures.ToArray() };
    }

    /// <summary>Input normalisation, or null.</summary>
    public NormalizationStatistics? Inputs { get; }

    /// <summary>Target scaling of a regression head, or null.</summary>
    public NormalizationStatistics? Targets { get; }

    /// <summary>Class names in index order, or null.</summary>
    public IReadOnlyList<string>? ClassNames => _classNames;

    /// <summary>Input column names, or null.</summary>
    public IReadOnlyList<string>? FeatureNames => _featureNames;

    /// <summary>The forecasting window, or null for a model of whole sequences.</summary>
    public ForecastSpec? Forecast { get; }

    /// <summary>True when outputs need each sample's raw last step (a forecaster relative to its last value).</summary>
    public bool NeedsLastStep => Forecast is { RelativeToLast: true };

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first part that does not fit <paramref name="config"/>: widths
    /// against the inputs and outputs, class names only for a classifier, a forecast only for a last-step regression head.
    /// </summary>
    public void Validate(LstmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Require(Inputs is null || Inputs.Width == config.InputSize, $"input normalisation has {Inputs?.Width} columns; the model reads {config.InputSize} inputs");
        Require(Targets is null || (config.HeadRegresses && Targets.Width == config.Classes), $"target scaling has {Targets?.Width} columns; the model {(config.HeadRegresses ? $"has {config.Classes} outputs" : "is a classifier")}");
        Require(_featureNames is null || _featureNames.Length == config.InputSize, $"{_featureNames?.Length} feature names for {config.InputSize} inputs");
        if (_classNames is not null)
        {
            Require(!config.HeadRegresses && _classNames.Length == config.Classes, $"{_classNames.Length} class names for a model with {config.Classes} {(config.HeadRegresses ? "regression outputs" : "classes")}");
            Require(_classNames.All(n => n.Length > 0) && _classNames.Distinct(StringComparer.Ordinal).Count() == _classNames.Length, "class names must be distinct and not empty");
        }

        if (Forecast is { } f)
        {
            Require(config.Head == HeadKind.RegressLastStep, "a forecast needs a last-step regression head");
            try
            {
                f.Validate(config.InputSize);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Preprocessing: the forecast does not fit the model: {e.Message}", e);
            }

            Require(f.Window == config.Steps, $"a forecast window of {f.Window} steps for a model of {config.Steps} steps");
            Require(f.OutputWidth == config.Classes, $"a forecast of {f.Horizon} steps × {f.TargetFeatures.Count} targets needs {f.OutputWidth} outputs; the model has {config.Classes}");
        }
    }

    /// <summary>
    /// Turns a batch of raw sequences [B×T×F] into the network's inputs, in place: each sample's first
    /// <paramref name="lengths"/>[b] steps (all T when empty) relative to its last step if the forecast says so, then
    /// normalised. When <paramref name="lastSteps"/> is not empty it receives each sample's raw last step [B×F] first.
    /// </summary>
    public void PrepareInputs(Span<float> inputs, int batchSize, int steps, ReadOnlySpan<int> lengths, Span<float> lastSteps)
    {
        int f = inputs.Length / (batchSize * steps);
        for (int b = 0; b < batchSize; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            Span<float> sample = inputs.Slice(b * steps * f, length * f);
            if (!lastSteps.IsEmpty)
            {
                sample.Slice((length - 1) * f, f).CopyTo(lastSteps.Slice(b * f, f));
            }

            Forecast?.PrepareInputs(sample, f);
            Inputs?.Normalize(sample);
        }
    }

    /// <summary>
    /// Turns raw training targets of a regression head into what the network learns, in place: minus each sample's last
    /// observed value (a relative forecast; <paramref name="lastSteps"/> [B×F]), then scaled. Rows are
    /// <see cref="Targets"/>' width wide (per step for a per-step head).
    /// </summary>
    public void PrepareTargets(Span<float> targets, int batchSize, ReadOnlySpan<float> lastSteps)
    {
        if (Forecast is { RelativeToLast: true } forecast)
        {
            int k = targets.Length / batchSize, f = lastSteps.Length / batchSize;
            for (int b = 0; b < batchSize; b++)
            {
                forecast.PrepareTargets(lastSteps.Slice(b * f, f), targets.Slice(b * k, k));
            }
        }

        Targets?.Normalize(targets);
    }

    /// <summary>
    /// Turns a regression head's outputs back into the data's units, in place: de-normalised, then each sample's last
    /// observed value (<paramref name="lastSteps"/> [B×F]) added back for a relative forecast. Classifier outputs are
    /// left alone.
    /// </summary>
    public void RestoreOutputs(Span<float> outputs, int batchSize, ReadOnlySpan<float> lastSteps)
    {
        Targets?.Denormalize(outputs);
        if (Forecast is { RelativeToLast: true } forecast)
        {
            int k = outputs.Length / batchSize, f = lastSteps.Length / batchSize;
            for (int b = 0; b < batchSize; b++)
            {
                forecast.RestoreForecasts(lastSteps.Slice(b * f, f), outputs.Slice(b * k, k));
            }
        }
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Preprocessing: {problem}.");
        }
    }
}
