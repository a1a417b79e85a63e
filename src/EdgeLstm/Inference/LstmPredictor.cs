using EdgeLstm.Engine;
using EdgeLstm.Kernels;
using EdgeLstm.Memory;
using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Inference;

/// <summary>
/// Runs whole sequences through a model (no dropout): class probabilities, logits, the top layer's output at every step
/// and the final (c, h) of every layer. Buffers are allocated once per (batch, steps) shape; after that a call
/// allocates nothing. One predictor serves one caller at a time; several predictors may share a model.
/// </summary>
/// <remarks>Inputs are batch-major [B×T×I]; per-step outputs are time-major [T×B×H] like PyTorch's <c>nn.LSTM</c>.</remarks>
public sealed unsafe class LstmPredictor : IDisposable
{
    private readonly LstmModel _model;
    private readonly WorkerPool _pool;
    private readonly SimdWidth _width;
    private readonly StepForwardJob _step = new();
    private Workspace? _workspace;

    /// <summary>Creates a predictor over <paramref name="model"/>.</summary>
    /// <param name="threads">Threads in all; 0 = one per processor.</param>
    /// <param name="width">Vector width of the matrix kernels.</param>
    public LstmPredictor(LstmModel model, int threads = 0, SimdWidth width = SimdWidth.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _width = SimdSupport.Resolve(width);
        _pool = new WorkerPool(threads);
    }

    /// <summary>The model.</summary>
    public LstmModel Model => _model;

    /// <summary>Threads in use.</summary>
    public int Threads => _pool.Threads;

    /// <summary>Class probabilities [B×C] for a batch of sequences [B×T×I].</summary>
    public void Predict(ReadOnlySpan<float> inputs, int batchSize, Span<float> probabilities)
    {
        Run(inputs, batchSize, default, default, default, probabilities, logits: false);
    }

    /// <summary>Logits [B×C] (before the softmax) for a batch of sequences [B×T×I].</summary>
    public void PredictLogits(ReadOnlySpan<float> inputs, int batchSize, Span<float> logits)
    {
        Run(inputs, batchSize, default, default, default, logits, logits: true);
    }

    /// <summary>
    /// Runs a batch and returns what is inside: <paramref name="outputs"/> [T×B×H], the top layer's h at every step,
    /// and the final state of every layer, <paramref name="finalC"/> and <paramref name="finalH"/> [L×B×H]. Any of the
    /// three may be empty to skip it; <paramref name="probabilities"/> [B×C] likewise.
    /// </summary>
    public void Run(ReadOnlySpan<float> inputs, int batchSize, Span<float> outputs, Span<float> finalC, Span<float> finalH, Span<float> probabilities = default)
    {
        Run(inputs, batchSize, outputs, finalC, finalH, probabilities, logits: false);
    }

    /// <summary>The dense layer and softmax on any rows of top-layer outputs: [rows×H] → [rows×C].</summary>
    public void Classify(ReadOnlySpan<float> hidden, int rows, Span<float> probabilities)
    {
        var config = _model.Config;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        Require(hidden, (long)rows * config.HiddenSize, nameof(hidden));
        Require(probabilities, (long)rows * config.Classes, nameof(probabilities));
        fixed (float* h = hidden, p = probabilities)
        {
            Dense(h, rows, p);
        }

        SoftmaxCrossEntropy.Softmax(probabilities, probabilities, rows, config.Classes);
    }

    /// <summary>Bytes the worker threads have allocated so far; for the allocation tests.</summary>
    internal long WorkerAllocatedBytes => _pool.WorkerAllocatedBytes;

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => _pool.Dispose();

    private void Run(ReadOnlySpan<float> inputs, int batchSize, Span<float> outputs, Span<float> finalC, Span<float> finalH, Span<float> result, bool logits)
    {
        var config = _model.Config;
        int steps = InputShape.StepsOf(inputs.Length, batchSize, config.InputSize);

        // Before any buffer of this shape exists: the limits keep every product below int32 (see ModelLimits).
        ModelLimits.CheckBatch(config, batchSize, steps);
        long bh = (long)batchSize * config.HiddenSize;
        RequireOptional(outputs, steps * bh, nameof(outputs));
        RequireOptional(finalC, config.Layers * bh, nameof(finalC));
        RequireOptional(finalH, config.Layers * bh, nameof(finalH));
        RequireOptional(result, (long)batchSize * config.Classes, logits ? "logits" : "probabilities");

        var w = _workspace is { } existing && existing.Batch == batchSize && existing.Steps == steps
            ? existing
            : _workspace = new Workspace(config, batchSize, steps);
        var packed = _model.Packed;
        fixed (float* x = inputs)
        {
            InputShape.ToTimeMajor(x, w.Input.Pointer, batchSize, steps, config.InputSize);
        }

        for (int l = 0; l < config.Layers; l++)
        {
            var f = new LayerPass.Forward
            {
                Steps = steps,
                Batch = batchSize,
                InputSize = config.LayerInputSize(l),
                Hidden = config.HiddenSize,
                Input = l == 0 ? w.Input.Pointer : w.H[(l - 1) & 1].Pointer,
                Gates = w.Gates.Pointer,
                C = w.C.Pointer,
                TanhC = w.TanhC.Pointer,
                H = w.H[l & 1].Pointer,
                KeepAllSteps = false,
            };
            LayerPass.RunForward(f, packed.Input(l, _width), packed.Recurrent(l, _width), packed.Bias(l), _pool, _width, _step);
            if (!finalC.IsEmpty)
            {
                new ReadOnlySpan<float>(f.CellAt(steps - 1), (int)bh).CopyTo(finalC.Slice((int)(l * bh), (int)bh));
            }

            if (!finalH.IsEmpty)
            {
                new ReadOnlySpan<float>(f.H + ((steps - 1) * bh), (int)bh).CopyTo(finalH.Slice((int)(l * bh), (int)bh));
            }
        }

        var top = w.H[(config.Layers - 1) & 1];
        if (!outputs.IsEmpty)
        {
            top.Span[..(int)(steps * bh)].CopyTo(outputs);
        }

        if (!result.IsEmpty)
        {
            fixed (float* r = result)
            {
                Dense(top.Pointer + ((steps - 1) * bh), batchSize, r);
            }

            if (!logits)
            {
                SoftmaxCrossEntropy.Softmax(result, result, batchSize, config.Classes);
            }
        }
    }

    private void Dense(float* hidden, int rows, float* output) => DenseLayer.Forward(_model, _model.Packed, hidden, rows, output, _pool, _width);

    private static void Require(ReadOnlySpan<float> span, long length, string name)
    {
        if (span.Length != length)
        {
            throw new ArgumentException($"{name} must hold {length} floats; it holds {span.Length}.", name);
        }
    }

    private static void RequireOptional(ReadOnlySpan<float> span, long length, string name)
    {
        if (!span.IsEmpty)
        {
            Require(span, length, name);
        }
    }

    private sealed class Workspace
    {
        public Workspace(LstmConfig config, int batch, int steps)
        {
            Batch = batch;
            Steps = steps;
            int rows = checked(batch * steps);
            Input = new AlignedBuffer(checked(rows * config.InputSize));
            Gates = new AlignedBuffer(checked(rows * 4 * config.HiddenSize));
            C = new AlignedBuffer(checked(2 * batch * config.HiddenSize));
            TanhC = new AlignedBuffer(checked(batch * config.HiddenSize));
            H = [new AlignedBuffer(checked(rows * config.HiddenSize)), new AlignedBuffer(checked(rows * config.HiddenSize))];
        }

        public int Batch { get; }

        public int Steps { get; }

        public AlignedBuffer Input { get; }

        public AlignedBuffer Gates { get; }

        public AlignedBuffer C { get; }

        public AlignedBuffer TanhC { get; }

        public AlignedBuffer[] H { get; }
    }
}
