using EdgeLstm.Engine;
using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Simd;

namespace EdgeLstm.Inference;

/// <summary>
/// Runs whole sequences through a model (no dropout): class probabilities, logits, the top layer's output at every step
/// and the final (c, h) of every layer. A driver of the <see cref="NetworkEngine"/> in inference mode: activations are
/// allocated once per (batch, steps) shape; after that a call allocates nothing. One predictor serves one caller at a
/// time; several predictors may share a model.
/// </summary>
/// <remarks>Inputs are batch-major [B×T×I]; per-step outputs are time-major [T×B×H] like PyTorch's <c>nn.LSTM</c>. A model
/// with <see cref="LstmModel.Preprocessing"/> takes raw readings and gives regression outputs in the data's units
/// (logits stay the network's own).</remarks>
public sealed unsafe class LstmPredictor : IDisposable
{
    private readonly LstmModel _model;
    private readonly ComputeContext _context;
    private readonly bool _ownsContext;
    private readonly NetworkEngine _engine;
    private readonly RawReadings _raw = new();
    private ActivationPlan? _plan;

    /// <summary>Creates a predictor over <paramref name="model"/> with its own threads.</summary>
    /// <param name="threads">Threads in all; 0 = one per processor.</param>
    /// <param name="width">Vector width of the matrix kernels.</param>
    public LstmPredictor(LstmModel model, int threads = 0, SimdWidth width = SimdWidth.Auto)
        : this(model, new ComputeContext(threads, width), ownsContext: true)
    {
    }

    /// <summary>Creates a predictor that computes in <paramref name="context"/> (a trainer's, say); the caller disposes the context.</summary>
    public LstmPredictor(LstmModel model, ComputeContext context)
        : this(model, context, ownsContext: false)
    {
    }

    private LstmPredictor(LstmModel model, ComputeContext context, bool ownsContext)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        _model = model;
        _context = context;
        _ownsContext = ownsContext;
        _engine = new NetworkEngine(model, context);
    }

    /// <summary>The model.</summary>
    public LstmModel Model => _model;

    /// <summary>Threads in use.</summary>
    public int Threads => _context.Threads;

    /// <summary>
    /// Class probabilities [B×C] for a batch of sequences [B×T×I]; [B×T×C] for a per-step head; a regression head's
    /// outputs in the same shapes.
    /// </summary>
    public void Predict(ReadOnlySpan<float> inputs, int batchSize, Span<float> probabilities)
    {
        Run(inputs, batchSize, default, default, default, probabilities, logits: false);
    }

    /// <summary>Logits [B×C] (before the softmax) for a batch of sequences [B×T×I]; [B×T×C] for a per-step head.</summary>
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

    /// <summary>
    /// <see cref="Predict(ReadOnlySpan{float}, int, Span{float})"/> on a variable-length batch: sample b is
    /// <paramref name="lengths"/>[b] steps long (1..T; empty = all T) and a last-step head reads each sample's own last
    /// step (pack_padded_sequence). A per-step head's rows past a sample's length are zeros: there is no step there to
    /// predict, as pad_packed_sequence pads with zeros.
    /// </summary>
    public void Predict(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> lengths, Span<float> probabilities)
    {
        Run(inputs, batchSize, default, default, default, probabilities, logits: false, lengths);
    }

    /// <summary><see cref="PredictLogits(ReadOnlySpan{float}, int, Span{float})"/> on a variable-length batch (lengths as in <c>Predict</c>).</summary>
    public void PredictLogits(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> lengths, Span<float> logits)
    {
        Run(inputs, batchSize, default, default, default, logits, logits: true, lengths);
    }

    /// <summary>
    /// <see cref="Run(ReadOnlySpan{float}, int, Span{float}, Span{float}, Span{float}, Span{float})"/> on a
    /// variable-length batch: the final state of each sample is its state after its own length, and its
    /// <paramref name="outputs"/> past its length are zeros, as <c>pad_packed_sequence</c> returns them.
    /// </summary>
    public void Run(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> lengths, Span<float> outputs, Span<float> finalC, Span<float> finalH, Span<float> probabilities = default)
    {
        Run(inputs, batchSize, outputs, finalC, finalH, probabilities, logits: false, lengths);
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
            _engine.ForwardHead(h, rows, p);
        }

        if (!config.HeadRegresses)
        {
            SoftmaxCrossEntropy.Softmax(probabilities, probabilities, rows, config.Classes);
        }
    }

    /// <summary>Bytes the worker threads have allocated so far; for the allocation tests.</summary>
    internal long WorkerAllocatedBytes => _context.WorkerAllocatedBytes;

    /// <summary>The context the predictor runs on; for the perf tool.</summary>
    internal ComputeContext Context => _context;

    /// <summary>Stops the worker threads, if the predictor made them.</summary>
    public void Dispose()
    {
        if (_ownsContext)
        {
            _context.Dispose();
        }
    }

    private void Run(ReadOnlySpan<float> inputs, int batchSize, Span<float> outputs, Span<float> finalC, Span<float> finalH, Span<float> result, bool logits, ReadOnlySpan<int> lengths = default)
    {
        var config = _model.Config;
        int steps = InputShape.StepsOf(inputs.Length, batchSize, config.InputSize);

        // Before any buffer of this shape exists: the limits keep every product below int32 (see ModelLimits).
        ModelLimits.CheckBatch(config, batchSize, steps);
        long bh = (long)batchSize * config.HiddenSize;
        RequireOptional(outputs, steps * bh, nameof(outputs));
        RequireOptional(finalC, config.Layers * bh, nameof(finalC));
        RequireOptional(finalH, config.Layers * bh, nameof(finalH));
        long headRows = config.HeadReadsEveryStep ? (long)batchSize * steps : batchSize;
        RequireOptional(result, headRows * config.Classes, logits ? "logits" : "probabilities");

        var plan = _plan = _engine.PlanFor(_plan, EngineMode.Infer, batchSize, steps);
        var preprocessing = _model.Preprocessing;
        if (preprocessing is not null)
        {
            // Raw readings in (see Model/Preprocessing): the lengths are checked first, the caller's inputs never written.
            plan.SetLengths(lengths);
            inputs = _raw.Prepare(preprocessing, inputs, batchSize, steps, plan.Lengths);
        }

        _engine.LoadInputs(plan, inputs, lengths);
        float* headInput;
        fixed (float* c = finalC, h = finalH)
        {
            headInput = _engine.ForwardStack(plan, finalC: c, finalH: h);
        }

        if (!outputs.IsEmpty)
        {
            new ReadOnlySpan<float>(_engine.TopOutputs(plan), (int)(steps * bh)).CopyTo(outputs);

            // The engine holds a sample's state past its length (so a last-step head reads its own last step); what
            // a caller gets there is PyTorch's padding, zeros.
            for (int b = 0; b < batchSize && plan.Padded; b++)
            {
                for (int t = plan.Lengths[b]; t < steps; t++)
                {
                    outputs.Slice((int)((t * bh) + ((long)b * config.HiddenSize)), config.HiddenSize).Clear();
                }
            }
        }

        if (result.IsEmpty)
        {
            return;
        }

        int k = config.Classes, rows = plan.HeadRows;
        bool softmax = !logits && !config.HeadRegresses;
        if (!config.HeadReadsEveryStep)
        {
            // One row per sample: the head writes straight into the caller's span.
            fixed (float* r = result)
            {
                _engine.ForwardHead(headInput, rows, r);
            }

            if (softmax)
            {
                SoftmaxCrossEntropy.Softmax(result, result, rows, k);
            }

            if (preprocessing is not null && !logits)
            {
                _raw.Restore(preprocessing, config, result, batchSize);
            }

            return;
        }

        // One row per sample and step, time-major inside the engine; the caller gets them batch-major [B×T×K], with zeros
        // past a sample's length (pad_packed_sequence's padding: no step there, so no prediction).
        _engine.ForwardHead(headInput, rows, plan.Logits);
        var timeMajor = new Span<float>(plan.Logits, rows * k);
        if (softmax)
        {
            SoftmaxCrossEntropy.Softmax(timeMajor, timeMajor, rows, k);
        }

        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batchSize; b++)
            {
                timeMajor.Slice(((t * batchSize) + b) * k, k).CopyTo(result.Slice(((b * steps) + t) * k, k));
            }
        }

        if (preprocessing is not null && !logits)
        {
            _raw.Restore(preprocessing, config, result, batchSize);
        }

        // Padded steps are zeros, as promised, after any restoring to the data's units (which would move them).
        for (int b = 0; b < batchSize; b++)
        {
            result.Slice(((b * steps) + plan.Lengths[b]) * k, (steps - plan.Lengths[b]) * k).Clear();
        }
    }

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
}
