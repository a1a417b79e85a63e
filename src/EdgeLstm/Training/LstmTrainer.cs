using System.Numerics.Tensors;
using EdgeLstm.Engine;
using EdgeLstm.Memory;
using EdgeLstm.Model;
using EdgeLstm.Simd;

namespace EdgeLstm.Training;

/// <summary>
/// Trains an <see cref="LstmModel"/> one batch at a time: forward with dropout, softmax cross-entropy on the last
/// step's top output, BPTT, Adam. A driver of the <see cref="NetworkEngine"/>: the activations of a (batch, steps)
/// shape are allocated on its first batch; after that an iteration allocates nothing.
/// </summary>
/// <remarks>Inputs are batch-major [B×T×I], as images are stored (sample b, row t, pixel i).</remarks>
public sealed unsafe class LstmTrainer : IDisposable
{
    private readonly LstmModel _model;
    private readonly TrainerOptions _options;
    private readonly ComputeContext _context;
    private readonly bool _ownsContext;
    private readonly NetworkEngine _engine;
    private readonly AdamOptimizer _adam;
    private readonly AlignedBuffer _gradients;
    private ActivationPlan? _trainPlan;
    private ActivationPlan? _evaluationPlan;
    private ActivationPlan? _lastPlan;

    /// <summary>Creates a trainer with its own threads (<see cref="TrainerOptions.Threads"/>); the model's parameters are updated in place by <c>TrainBatch</c>.</summary>
    public LstmTrainer(LstmModel model, TrainerOptions? options = null)
        : this(model, options, context: null)
    {
    }

    /// <summary>
    /// Creates a trainer that computes in <paramref name="context"/> (shared with, say, a predictor of the same run);
    /// the context's threads and width are used, not the options'. The caller disposes the context.
    /// </summary>
    /// <exception cref="NotSupportedException">The model has int8 weights: training runs in fp32.</exception>
    public LstmTrainer(LstmModel model, TrainerOptions? options, ComputeContext? context)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Int8Weights is not null)
        {
            // Not a bad argument but a model this trainer cannot take: callers tell the two apart (the C ABI maps
            // NotSupportedException to EDGELSTM_ERROR_UNSUPPORTED).
            throw new NotSupportedException("The model's weights are int8: training runs in fp32, so train the fp32 model and quantize it after.");
        }

        _options = options ?? new TrainerOptions();
        _options.Validate();
        _model = model;
        _ownsContext = context is null;
        _context = context ?? new ComputeContext(_options.Threads, _options.Width);
        _engine = new NetworkEngine(model, _context);
        _adam = new AdamOptimizer(model.Parameters.Length, _options.LearningRate);
        _gradients = new AlignedBuffer(model.Parameters.Length);
        DropoutRandom = new SeededRandom(_options.Seed);
    }

    /// <summary>
    /// The bytes a trainer of <paramref name="config"/> holds for batches of <paramref name="batch"/> sequences of
    /// <paramref name="steps"/> steps, counted without allocating them: the training activation plan, by the walk
    /// that carves it, and five copies of the parameters (the weights, their gradients, Adam's two moments and the
    /// packed copy the forward products read). For a caller to check the memory before the first batch asks for it.
    /// </summary>
    public static long MemoryBytes(LstmConfig config, int batch, int steps)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ActivationPlan.CarvedBytes(NetworkDescription.Of(config), EngineMode.Train, batch, steps)
            + (5L * sizeof(float) * ModelLimits.ParameterCount(config));
    }

    /// <summary>The model being trained.</summary>
    public LstmModel Model => _model;

    /// <summary>The settings this trainer was made with.</summary>
    public TrainerOptions Options => _options;

    /// <summary>Where this trainer computes: share it with a predictor or a stream of the same run.</summary>
    public ComputeContext Context => _context;

    /// <summary>The optimiser (its moments and step count are what a checkpoint saves).</summary>
    public AdamOptimizer Optimizer => _adam;

    /// <summary>The generator of the dropout masks (its state is what a checkpoint saves).</summary>
    public SeededRandom DropoutRandom { get; }

    /// <summary>Threads in use.</summary>
    public int Threads => _context.Threads;

    /// <summary>The vector width in use.</summary>
    public SimdWidth Width => _context.Width;

    /// <summary>The gradients of the last <c>ComputeGradients</c>, laid out like <see cref="LstmModel.Parameters"/>.</summary>
    public ReadOnlySpan<float> Gradients => _gradients.Span;

    /// <summary>When true, <c>ComputeGradients</c> also computes ∂loss/∂input into <see cref="InputGradient"/>.</summary>
    public bool ComputeInputGradient { get; set; }

    /// <summary>∂loss/∂input [B×T×I] of the last batch, when <see cref="ComputeInputGradient"/> is set.</summary>
    public ReadOnlySpan<float> InputGradient => _trainPlan is { } p && ComputeInputGradient ? new(p.InputGradientBatchMajor, p.Batch * p.Steps * _model.Config.InputSize) : default;

    /// <summary>
    /// The head's results for the last batch (trained on with dropout, or evaluated without): class probabilities
    /// [B×C] of a classifier, or the outputs of a regression; time-major [T×B×K] for a per-step head.
    /// </summary>
    public ReadOnlySpan<float> LastProbabilities => _lastPlan is { } p ? new(_engine.HeadResults(p), p.HeadRows * _model.Config.Classes) : default;

    /// <summary>The dropout mask [T×B×H] (0 or 1/keep) layer <paramref name="layer"/> used in the last batch; for tests.</summary>
    internal ReadOnlySpan<float> DropoutMask(int layer) => _trainPlan is { } p ? new(p.Mask(layer), p.Batch * p.Steps * _model.Config.HiddenSize) : default;

    /// <summary>Bytes the worker threads have allocated so far; for the allocation tests.</summary>
    internal long WorkerAllocatedBytes => _context.WorkerAllocatedBytes;

    /// <summary>
    /// The global L2 norm of the last <c>TrainBatch</c>'s gradients, before clipping. When it is not finite that
    /// batch did not change the model or the optimiser.
    /// </summary>
    public float LastGradientNorm { get; private set; }

    /// <summary>One training iteration: gradients of the batch loss, then an Adam step. Returns the loss before the step.</summary>
    /// <param name="inputs">[B×T×I] with B = <paramref name="labels"/>.Length.</param>
    /// <param name="labels">Class of each sample, 0 to C−1.</param>
    public float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
        => Train(inputs, labels.Length, labels, default, default);

    /// <summary>One training iteration of a classifier: labels [B] (last-step head) or [B×T] (per-step head).</summary>
    public float TrainBatch(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> labels)
        => Train(inputs, batchSize, labels, default, default);

    /// <summary>One training iteration of a regression: targets [B×K] (last-step head) or [B×T×K] (per-step head).</summary>
    public float TrainBatch(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<float> targets)
        => Train(inputs, batchSize, default, targets, default);

    /// <summary>
    /// One training iteration of a classifier on a variable-length batch: sample b is <paramref name="lengths"/>[b]
    /// steps long (1..T) and its steps after that are padding (see <see cref="ComputeGradients(ReadOnlySpan{float}, int, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{int}, bool)"/>).
    /// </summary>
    public float TrainBatch(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> labels, ReadOnlySpan<int> lengths)
        => Train(inputs, batchSize, labels, default, lengths);

    /// <summary>One training iteration of a regression on a variable-length batch (see the classifier's overload).</summary>
    public float TrainBatch(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths)
        => Train(inputs, batchSize, default, targets, lengths);

    /// <summary>The data path of one iteration, top to bottom: forward, loss, backward, then clip and Adam.</summary>
    private float Train(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths)
    {
        float loss = ComputeGradients(inputs, batchSize, labels, targets, lengths, training: true);
        float norm = LastGradientNorm = MathF.Sqrt(TensorPrimitives.SumOfSquares(_gradients.Span));
        if (!float.IsFinite(norm))
        {
            // A non-finite gradient would make every weight NaN: the step is skipped and the caller told by the norm.
            return loss;
        }

        if (_options.GradientClipNorm > 0 && norm > _options.GradientClipNorm)
        {
            TensorPrimitives.Multiply(_gradients.Span, _options.GradientClipNorm / norm, _gradients.Span);
        }

        _adam.Update(_model.Parameters, _gradients.Span);
        _model.MarkParametersChanged();
        return loss;
    }

    /// <summary>
    /// Forward and backward for one batch without changing the model: fills <see cref="Gradients"/> and returns the loss.
    /// With <paramref name="training"/> false there is no dropout (keep probability 1).
    /// </summary>
    public float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, bool training = true)
        => ComputeGradients(inputs, labels.Length, labels, default, training);

    /// <summary><see cref="ComputeGradients(ReadOnlySpan{float}, ReadOnlySpan{int}, bool)"/> for any head: labels of a classifier or targets of a regression.</summary>
    public float ComputeGradients(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, bool training = true)
        => ComputeGradients(inputs, batchSize, labels, targets, default, training);

    /// <summary>
    /// <see cref="ComputeGradients(ReadOnlySpan{float}, int, ReadOnlySpan{int}, ReadOnlySpan{float}, bool)"/> on a
    /// variable-length batch, as PyTorch's pack_padded_sequence computes it: sample b is <paramref name="lengths"/>[b]
    /// steps long (1..T; empty = all T), its state stops changing after its length, a last-step head reads its own
    /// last step, and a per-step head's loss is the mean over the real steps only (Σ lengths rows; × K for a
    /// regression or the mean over classes). Padded steps' inputs, labels and targets are not read into anything, nor
    /// checked: the sequence readers give a padded step the label −1, "no label".
    /// </summary>
    /// <remarks>
    /// A length of 0 is an empty slot: no sample, so nothing of it reaches the loss, its divisor or the gradients. A
    /// caller whose last batch is short fills it up to the usual size with empty slots and the trainer keeps the one
    /// shape it has the buffers of (a new shape would allocate them anew). At least one sample must not be empty.
    /// </remarks>
    public float ComputeGradients(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths, bool training = true)
    {
        int steps = CheckBatch(inputs, batchSize, labels, targets, lengths);
        var plan = _lastPlan = _trainPlan = _engine.PlanFor(_trainPlan, EngineMode.Train, batchSize, steps);
        float keep = training ? _options.KeepProbability : 1f;

        _engine.LoadInputs(plan, inputs, lengths, allowEmptySlots: true);
        float* headInput = _engine.ForwardStack(plan, keep, DropoutRandom);
        _engine.ForwardHead(headInput, plan.HeadRows, plan.Logits);
        float loss = _engine.Loss(plan, labels, targets, LossDivisor(plan.RealHeadRows));
        _engine.Backward(plan, keep, _gradients.Pointer, ComputeInputGradient);
        return loss;
    }

    /// <summary>
    /// The loss of one batch without dropout and without a backward pass (nothing is changed): what an evaluation
    /// needs. <see cref="LastProbabilities"/> then holds the batch's class probabilities.
    /// </summary>
    public float EvaluateLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
        => EvaluateLoss(inputs, labels.Length, labels, default);

    /// <summary><see cref="EvaluateLoss(ReadOnlySpan{float}, ReadOnlySpan{int})"/> for any head: labels of a classifier or targets of a regression.</summary>
    public float EvaluateLoss(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets)
        => EvaluateLoss(inputs, batchSize, labels, targets, default);

    /// <summary><see cref="EvaluateLoss(ReadOnlySpan{float}, int, ReadOnlySpan{int}, ReadOnlySpan{float})"/> on a variable-length batch (lengths as in <c>ComputeGradients</c>).</summary>
    public float EvaluateLoss(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths)
    {
        int steps = CheckBatch(inputs, batchSize, labels, targets, lengths);
        var plan = _lastPlan = _evaluationPlan = _engine.PlanFor(_evaluationPlan, EngineMode.Infer, batchSize, steps);
        _engine.LoadInputs(plan, inputs, lengths, allowEmptySlots: true);
        float* headInput = _engine.ForwardStack(plan);
        _engine.ForwardHead(headInput, plan.HeadRows, plan.Logits);
        return _engine.Loss(plan, labels, targets, LossDivisor(plan.RealHeadRows));
    }

    /// <summary>Stops the worker threads, if the trainer made them.</summary>
    public void Dispose()
    {
        if (_ownsContext)
        {
            _context.Dispose();
        }
    }

    /// <summary>The steps of the batch, after checking that the inputs, the lengths, and the labels or targets the head needs, fit.</summary>
    private int CheckBatch(ReadOnlySpan<float> inputs, int batchSize, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths)
    {
        var config = _model.Config;
        int steps = InputShape.StepsOf(inputs.Length, batchSize, config.InputSize);

        // Before any buffer of this shape exists: the limits keep every product below int32 (see ModelLimits).
        ModelLimits.CheckBatch(config, batchSize, steps);
        ActivationPlan.CheckLengths(lengths, batchSize, steps, allowEmptySlots: true);
        long rows = config.HeadReadsEveryStep ? (long)batchSize * steps : batchSize;
        string per = config.HeadReadsEveryStep ? "sample and step" : "sample";
        if (config.HeadRegresses)
        {
            if (targets.Length != rows * config.Classes)
            {
                throw new ArgumentException($"A {config.Head} head needs {config.Classes} float targets per {per}: {rows * config.Classes} in all; {targets.Length} were given.");
            }
        }
        else
        {
            if (labels.Length != rows)
            {
                throw new ArgumentException($"A {config.Head} head needs one label per {per}: {rows} in all; {labels.Length} were given.");
            }

            InputShape.CheckLabels(labels, config.Classes, lengths, steps, config.HeadReadsEveryStep);
        }

        return steps;
    }

    /// <summary>
    /// What the summed loss is divided by: a regression's squared error is a mean over every output (PyTorch's
    /// MSELoss); a classifier's cross-entropy a mean over the head's rows, or (the recipe) over rows and classes.
    /// </summary>
    private double LossDivisor(int rows)
        => _model.Config.HeadRegresses || _options.Loss == LossReduction.MeanOverBatchAndClasses ? (double)rows * _model.Config.Classes : rows;
}
