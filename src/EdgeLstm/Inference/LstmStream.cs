using EdgeLstm.Engine;
using EdgeLstm.Kernels;
using EdgeLstm.Memory;
using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Inference;

/// <summary>
/// A streaming session: feeds one time step at a time (a sensor reading, an audio frame, a row of an image) and carries
/// each layer's (c, h) between calls. Stepping T times gives bit for bit what <see cref="LstmPredictor"/> gives for the
/// whole sequence. One session serves one stream; many sessions may share one model, each on its own thread.
/// </summary>
public sealed unsafe class LstmStream : IDisposable
{
    private readonly LstmModel _model;
    private readonly WorkerPool? _pool;
    private readonly bool _ownsPool;
    private readonly SimdWidth _width;
    private readonly StepForwardJob _step = new();
    private readonly AlignedBuffer _input;
    private readonly AlignedBuffer _gates;
    private readonly AlignedBuffer _tanhC;
    private readonly AlignedBuffer _logits;

    // Two slots per layer: a step reads the previous state while it writes the new one.
    private readonly AlignedBuffer[] _c;
    private readonly AlignedBuffer[] _h;
    private int _current;
    private bool _stateIsZero = true;

    /// <summary>Creates a session for <paramref name="batchSize"/> parallel streams, starting from a zero state.</summary>
    /// <param name="threads">Threads in all (default 1: a single stream rarely gains from more).</param>
    public LstmStream(LstmModel model, int batchSize = 1, int threads = 1, SimdWidth width = SimdWidth.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);

        // One step at a time: the buffers are batch × (4·hidden, input, classes), bounded by the limits.
        ModelLimits.CheckBatch(model.Config, batchSize, 1);
        _model = model;
        BatchSize = batchSize;
        _width = SimdSupport.Resolve(width);
        if (threads != 1)
        {
            _pool = new WorkerPool(threads);
            _ownsPool = true;
        }

        var config = model.Config;
        int bh = batchSize * config.HiddenSize;
        _input = new AlignedBuffer(batchSize * config.InputSize);
        _gates = new AlignedBuffer(4 * bh);
        _tanhC = new AlignedBuffer(bh);
        _logits = new AlignedBuffer(batchSize * config.Classes);
        _c = new AlignedBuffer[2 * config.Layers];
        _h = new AlignedBuffer[2 * config.Layers];
        for (int i = 0; i < _c.Length; i++)
        {
            _c[i] = new AlignedBuffer(bh);
            _h[i] = new AlignedBuffer(bh);
        }
    }

    /// <summary>Streams fed side by side.</summary>
    public int BatchSize { get; }

    /// <summary>The model.</summary>
    public LstmModel Model => _model;

    /// <summary>
    /// Feeds one step <paramref name="input"/> [B×I]; writes the top layer's new h [B×H] into <paramref name="topHidden"/>
    /// and the dense layer's class probabilities [B×C] into <paramref name="probabilities"/> (either may be empty).
    /// </summary>
    public void Step(ReadOnlySpan<float> input, Span<float> topHidden = default, Span<float> probabilities = default)
    {
        var config = _model.Config;
        int bh = BatchSize * config.HiddenSize;
        Check(input, BatchSize * config.InputSize, nameof(input), optional: false);
        Check(topHidden, bh, nameof(topHidden), optional: true);
        Check(probabilities, BatchSize * config.Classes, nameof(probabilities), optional: true);

        var packed = _model.Packed;
        input.CopyTo(_input.Span);
        int previous = _current, next = 1 - _current;
        float* layerInput = _input.Pointer;
        for (int l = 0; l < config.Layers; l++)
        {
            int inputSize = config.LayerInputSize(l);
            int h4 = 4 * config.HiddenSize;
            var (inputForm, inputT) = packed.Input(l, _width);
            var (recurrentForm, recurrentT) = packed.Recurrent(l, _width);
            MatMul.Run(_pool, inputForm, layerInput, inputSize, (float*)inputT, h4, _gates.Pointer, h4, BatchSize, h4, inputSize, false, _width);
            float* hPrev = _stateIsZero ? null : State(_h, l, previous).Pointer;
            float* cPrev = _stateIsZero ? null : State(_c, l, previous).Pointer;
            var hNext = State(_h, l, next);
            _step.Run(_pool, _width, BatchSize, config.HiddenSize, _gates.Pointer, packed.Bias(l), hPrev, cPrev, recurrentForm, (float*)recurrentT, State(_c, l, next).Pointer, _tanhC.Pointer, hNext.Pointer);
            layerInput = hNext.Pointer;
        }

        _current = next;
        _stateIsZero = false;
        if (!topHidden.IsEmpty)
        {
            new ReadOnlySpan<float>(layerInput, bh).CopyTo(topHidden);
        }

        if (!probabilities.IsEmpty)
        {
            int classes = config.Classes;
            DenseLayer.Forward(_model, packed, layerInput, BatchSize, _logits.Pointer, _pool, _width);
            SoftmaxCrossEntropy.Softmax(_logits.Span, probabilities, BatchSize, classes);
        }
    }

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        foreach (var buffer in _c)
        {
            buffer.Clear();
        }

        foreach (var buffer in _h)
        {
            buffer.Clear();
        }

        _stateIsZero = true;
    }

    /// <summary>Copies layer <paramref name="layer"/>'s state into <paramref name="c"/> and <paramref name="h"/> [B×H].</summary>
    public void GetState(int layer, Span<float> c, Span<float> h)
    {
        CheckLayer(layer);
        int bh = BatchSize * _model.Config.HiddenSize;
        Check(c, bh, nameof(c), optional: false);
        Check(h, bh, nameof(h), optional: false);
        State(_c, layer, _current).Span.CopyTo(c);
        State(_h, layer, _current).Span.CopyTo(h);
    }

    /// <summary>Sets layer <paramref name="layer"/>'s state from <paramref name="c"/> and <paramref name="h"/> [B×H].</summary>
    public void SetState(int layer, ReadOnlySpan<float> c, ReadOnlySpan<float> h)
    {
        CheckLayer(layer);
        int bh = BatchSize * _model.Config.HiddenSize;
        Check(c, bh, nameof(c), optional: false);
        Check(h, bh, nameof(h), optional: false);
        if (_stateIsZero)
        {
            // The other layers' zero state must now be real zeros in the current slots.
            Reset();
            _stateIsZero = false;
        }

        c.CopyTo(State(_c, layer, _current).Span);
        h.CopyTo(State(_h, layer, _current).Span);
    }

    /// <summary>Stops the worker threads, if the session has any.</summary>
    public void Dispose()
    {
        if (_ownsPool)
        {
            _pool!.Dispose();
        }
    }

    private static AlignedBuffer State(AlignedBuffer[] slots, int layer, int slot) => slots[(2 * layer) + slot];

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
