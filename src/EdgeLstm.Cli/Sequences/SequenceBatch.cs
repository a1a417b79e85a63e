using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Cli.Sequences;

/// <summary>
/// Reusable buffers for padded batches of up to <see cref="Capacity"/> sequences of <see cref="Steps"/> steps gathered
/// from one source (the layouts of <see cref="ISequenceSource"/>): allocated once, sliced to each batch's size.
/// </summary>
internal sealed class SequenceBatch
{
    private readonly ISequenceSource _source;
    private readonly float[] _inputs;
    private readonly int[] _lengths;
    private readonly int[] _classes;
    private readonly float[] _values;

    public SequenceBatch(ISequenceSource source, int capacity, int steps)
    {
        _source = source;
        Capacity = capacity;
        Steps = steps;
        _inputs = new float[checked(capacity * steps * source.FeatureCount)];
        _lengths = new int[capacity];
        _classes = new int[ClassCount(capacity)];
        _values = new float[ValueCount(capacity)];
        LastSteps = new float[capacity * source.FeatureCount];
    }

    public int Capacity { get; }

    public int Steps { get; }

    /// <summary>Sequences in the current batch.</summary>
    public int Count { get; private set; }

    public Span<float> Inputs => _inputs.AsSpan(0, Count * Steps * _source.FeatureCount);

    public Span<int> Lengths => _lengths.AsSpan(0, Count);

    /// <summary>Class targets [B] or [B×T]; a padded step's class is −1, "no label" (the trainer neither reads nor checks it).</summary>
    public Span<int> Classes => _classes.AsSpan(0, ClassCount(Count));

    /// <summary>Value targets [B×K] or [B×T×K].</summary>
    public Span<float> Values => _values.AsSpan(0, ValueCount(Count));

    /// <summary>Each sample's raw last step [B×F], filled by the model's preprocessing when the inputs are prepared.</summary>
    public float[] LastSteps { get; }

    /// <summary>Gathers the sequences at <paramref name="indices"/> (at most <see cref="Capacity"/>), raw as the source holds them.</summary>
    public void Gather(ReadOnlySpan<int> indices)
    {
        Count = indices.Length;
        _source.GatherBatch(indices, Steps, Inputs, Lengths, Classes, Values);
    }

    /// <summary>
    /// Fills the batch up to <see cref="Capacity"/> with empty slots (length 0, no label, zero targets), which the
    /// trainer computes but adds nothing of to the loss or the gradients: a short batch keeps the trainer's one shape.
    /// </summary>
    public void FillEmptySlots()
    {
        int real = Count;
        Count = Capacity;
        _lengths.AsSpan(real).Clear();
        _classes.AsSpan(ClassCount(real)).Fill(-1);
        _values.AsSpan(ValueCount(real)).Clear();
    }

    private int ClassCount(int batch) => _source.TargetKind switch
    {
        SequenceTargetKind.SequenceClass => batch,
        SequenceTargetKind.StepClass => batch * Steps,
        _ => 0,
    };

    private int ValueCount(int batch) => _source.TargetKind switch
    {
        SequenceTargetKind.SequenceValues => batch * _source.TargetWidth,
        SequenceTargetKind.StepValues => batch * Steps * _source.TargetWidth,
        _ => 0,
    };
}
