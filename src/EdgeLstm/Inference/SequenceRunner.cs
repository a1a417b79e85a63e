using EdgeLstm.Data.Sequences;
using EdgeLstm.Model;

namespace EdgeLstm.Inference;

/// <summary>
/// Runs a predictor over chosen sequences of one source in padded batches of one size: the loop every scorer of
/// sequences shares (the evaluator's accuracy, a caller's own scores or predictions). Its buffers, and the predictor's
/// activations, are made once for that size: a short last batch is filled up with repeats of its first sequence, whose
/// answers are not handed out, so the predictor never meets a second shape (a new shape would allocate anew).
/// </summary>
public sealed class SequenceRunner
{
    private readonly LstmPredictor _predictor;
    private readonly int[] _batch, _lengths, _classes;
    private readonly float[] _inputs, _values, _outputs;
    private readonly int _steps, _rowsPerSequence, _targetRows;

    /// <summary>Prepares batches of up to <paramref name="batchSize"/> sequences of <paramref name="source"/> (fewer when the limits allow fewer).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The source's longest sequence is longer than the model's limits allow even alone (see <see cref="ModelLimits"/>).</exception>
    /// <exception cref="ArgumentException">The source's feature count is not the model's.</exception>
    public SequenceRunner(LstmPredictor predictor, ISequenceSource source, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var config = predictor.Model.Config;
        if (source.FeatureCount != config.InputSize)
        {
            throw new ArgumentException($"The source has {source.FeatureCount} features per step; the model reads {config.InputSize}.", nameof(source));
        }

        // Before anything of the source's length is allocated: one sequence must fit, and the batch is cut to what fits.
        _steps = source.MaxLength;
        ModelLimits.CheckBatch(config, 1, _steps);
        Capacity = Math.Min(Math.Min(batchSize, Math.Max(source.Count, 1)), ModelLimits.LargestBatch(config, _steps));
        _predictor = predictor;
        Source = source;
        bool stepTargets = source.TargetKind is SequenceTargetKind.StepClass or SequenceTargetKind.StepValues;
        _targetRows = stepTargets ? _steps : 1;
        _rowsPerSequence = config.HeadReadsEveryStep ? _steps : 1;
        _batch = new int[Capacity];
        _lengths = new int[Capacity];
        _inputs = new float[(long)Capacity * _steps * config.InputSize];
        _classes = source.TargetKind is SequenceTargetKind.SequenceClass or SequenceTargetKind.StepClass ? new int[Capacity * _targetRows] : [];
        _values = source.TargetKind is SequenceTargetKind.SequenceValues or SequenceTargetKind.StepValues ? new float[(long)Capacity * _targetRows * source.TargetWidth] : [];
        _outputs = new float[(long)Capacity * _rowsPerSequence * config.Classes];
    }

    /// <summary>What one sequence gave: its index, the outputs of its real rows (K, or length·K for a per-step head), and its targets (1 or length rows; empty without targets).</summary>
    public delegate void SequenceOutputs(int index, ReadOnlySpan<float> outputs, ReadOnlySpan<int> classes, ReadOnlySpan<float> values);

    /// <summary>The model the predictor runs.</summary>
    public LstmModel Model => _predictor.Model;

    /// <summary>The source the sequences come from.</summary>
    public ISequenceSource Source { get; }

    /// <summary>Sequences per predictor call.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Runs the sequences at <paramref name="indices"/>, in that order, handing each one's outputs (probabilities or
    /// values, after the model's preprocessing restores them) to <paramref name="each"/>, and the count done so far to
    /// <paramref name="progress"/> after each batch.
    /// </summary>
    public void Run(ReadOnlySpan<int> indices, SequenceOutputs each, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(each);
        int k = _predictor.Model.Config.Classes, width = Source.TargetWidth;
        for (int start = 0; start < indices.Length; start += Capacity)
        {
            int count = Math.Min(Capacity, indices.Length - start);
            indices.Slice(start, count).CopyTo(_batch);
            _batch.AsSpan(count).Fill(indices[start]);
            Source.GatherBatch(_batch, _steps, _inputs, _lengths, _classes, _values);
            _predictor.Predict(_inputs, Capacity, _lengths, _outputs);
            for (int b = 0; b < count; b++)
            {
                int rows = _rowsPerSequence == 1 ? 1 : _lengths[b];
                int targets = _targetRows == 1 ? 1 : _lengths[b];
                each(
                    _batch[b],
                    _outputs.AsSpan(b * _rowsPerSequence * k, rows * k),
                    _classes.Length == 0 ? default : _classes.AsSpan(b * _targetRows, targets),
                    _values.Length == 0 ? default : _values.AsSpan(b * _targetRows * width, targets * width));
            }

            progress?.Invoke(start + count);
        }
    }
}
