using EdgeLstm.Engine;
using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Simd;

namespace EdgeLstm.Inference;

/// <summary>
/// A streaming session: feeds one time step at a time (a sensor reading, an audio frame, a row of an image) and carries
/// each layer's (c, h) between calls. A driver of the <see cref="NetworkEngine"/> in stream mode, so stepping T times
/// gives bit for bit what <see cref="LstmPredictor"/> gives for the whole sequence. One session serves one stream; many
/// sessions may share one model, each on its own thread.
/// </summary>
public sealed unsafe class LstmStream : IDisposable
{
    private readonly LstmModel _model;
    private readonly ComputeContext _context;
    private readonly bool _ownsContext;
    private readonly NetworkEngine _engine;
    private readonly ActivationPlan _plan;
    private readonly RawReadings _raw = new();

    /// <summary>Creates a session for <paramref name="batchSize"/> parallel streams, starting from a zero state.</summary>
    /// <param name="threads">Threads in all (default 1: a single stream rarely gains from more).</param>
    public LstmStream(LstmModel model, int batchSize = 1, int threads = 1, SimdWidth width = SimdWidth.Auto)
        : this(model, CheckedBatch(model, batchSize), new ComputeContext(threads, width), ownsContext: true)
    {
    }

    /// <summary>Creates a session that computes in <paramref name="context"/>; the caller disposes the context.</summary>
    public LstmStream(LstmModel model, int batchSize, ComputeContext context)
        : this(model, CheckedBatch(model, batchSize), context, ownsContext: false)
    {
    }

    private LstmStream(LstmModel model, int batchSize, ComputeContext context, bool ownsContext)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        _model = model;
        BatchSize = batchSize;
        _context = context;
        _ownsContext = ownsContext;
        _engine = new NetworkEngine(model, context);
        _plan = _engine.PlanFor(null, EngineMode.Stream, batchSize, 1);
    }

    /// <summary>Streams fed side by side.</summary>
    public int BatchSize { get; }

    /// <summary>The model.</summary>
    public LstmModel Model => _model;

    /// <summary>
    /// Feeds one step <paramref name="input"/> [B×I]; writes the top layer's new h [B×H] into <paramref name="topHidden"/>
    /// and the dense layer's class probabilities [B×C] into <paramref name="probabilities"/> (either may be empty); a
    /// regression head's outputs instead of probabilities. A per-step head's output at this step is what the
    /// predictor gives for this step of the whole sequence.
    /// </summary>
    public void Step(ReadOnlySpan<float> input, Span<float> topHidden = default, Span<float> probabilities = default)
    {
        var config = _model.Config;
        int bh = BatchSize * config.HiddenSize;
        Check(input, BatchSize * config.InputSize, nameof(input), optional: false);
        Check(topHidden, bh, nameof(topHidden), optional: true);
        Check(probabilities, BatchSize * config.Classes, nameof(probabilities), optional: true);

        var preprocessing = _model.Preprocessing;
        if (preprocessing is not null)
        {
            // Raw readings in (see Model/Preprocessing); the caller's span is never written.
            input = _raw.Prepare(preprocessing, input, BatchSize, 1, default);
        }

        _engine.LoadInputs(_plan, input);
        float* top = _engine.ForwardStack(_plan);
        if (!topHidden.IsEmpty)
        {
            new ReadOnlySpan<float>(top, bh).CopyTo(topHidden);
        }

        if (!probabilities.IsEmpty)
        {
            _engine.ForwardHead(top, BatchSize, _plan.Logits);
            var outputs = new ReadOnlySpan<float>(_plan.Logits, BatchSize * config.Classes);
            if (config.HeadRegresses)
            {
                outputs.CopyTo(probabilities);
                if (preprocessing is not null)
                {
                    _raw.Restore(preprocessing, config, probabilities, BatchSize);
                }
            }
            else
            {
                SoftmaxCrossEntropy.Softmax(outputs, probabilities, BatchSize, config.Classes);
            }
        }
    }

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        for (int l = 0; l < _model.Config.Layers; l++)
        {
            for (int slot = 0; slot < 2; slot++)
            {
                StateC(l, slot).Clear();
                StateH(l, slot).Clear();
            }
        }

        _plan.StateIsZero = true;
    }

    /// <summary>Copies layer <paramref name="layer"/>'s state into <paramref name="c"/> and <paramref name="h"/> [B×H].</summary>
    public void GetState(int layer, Span<float> c, Span<float> h)
    {
        CheckLayer(layer);
        int bh = BatchSize * _model.Config.HiddenSize;
        Check(c, bh, nameof(c), optional: false);
        Check(h, bh, nameof(h), optional: false);
        StateC(layer, _plan.CurrentSlot).CopyTo(c);
        StateH(layer, _plan.CurrentSlot).CopyTo(h);
    }

    /// <summary>Sets layer <paramref name="layer"/>'s state from <paramref name="c"/> and <paramref name="h"/> [B×H].</summary>
    public void SetState(int layer, ReadOnlySpan<float> c, ReadOnlySpan<float> h)
    {
        CheckLayer(layer);
        int bh = BatchSize * _model.Config.HiddenSize;
        Check(c, bh, nameof(c), optional: false);
        Check(h, bh, nameof(h), optional: false);
        if (_plan.StateIsZero)
        {
            // The other layers' zero state must now be real zeros in the current slots.
            Reset();
            _plan.StateIsZero = false;
        }

        c.CopyTo(StateC(layer, _plan.CurrentSlot));
        h.CopyTo(StateH(layer, _plan.CurrentSlot));
    }

    /// <summary>Stops the worker threads, if the session made them.</summary>
    public void Dispose()
    {
        if (_ownsContext)
        {
            _context.Dispose();
        }
    }

    private static int CheckedBatch(LstmModel model, int batchSize)
    {
        // Checked before the context is made, so a refused session leaves no threads behind.
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);

        // One step at a time: the buffers are batch × (4·hidden, input, classes), bounded by the limits.
        ModelLimits.CheckBatch(model.Config, batchSize, 1);
        if (model.Preprocessing is { NeedsLastStep: true } preprocessing)
        {
            // Its inputs are differences from the window's last step, which a stream has not seen yet.
            throw new NotSupportedException($"This model forecasts from windows of {preprocessing.Forecast!.Window} steps taken relative to their last step, which a stream cannot know before the window ends: run whole windows through a predictor instead.");
        }

        return batchSize;
    }

    private Span<float> StateC(int layer, int slot) => new(_plan.StateC(layer, slot), BatchSize * _model.Config.HiddenSize);

    private Span<float> StateH(int layer, int slot) => new(_plan.StateH(layer, slot), BatchSize * _model.Config.HiddenSize);

    private void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)_model.Config.Layers)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), $"Layer must be 0 to {_model.Config.Layers - 1}; it is {layer}.");
        }
    }

    private static void Check(ReadOnlySpan<float> span, int length, string name, bool optional)
    {
        if ((optional && span.IsEmpty) || span.Length == length)
        {
            return;
        }

        throw new ArgumentException($"{name} must hold {length} floats; it holds {span.Length}.", name);
    }
}
