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

    /// <summary>Creates a trainer with its own threads (<see cref="TrainerOptions.Threads"/>); the model's parameters are updated in place by <see cref="TrainBatch"/>.</summary>
    public LstmTrainer(LstmModel model, TrainerOptions? options = null)
        : this(model, options, context: null)
    {
    }

    /// <summary>
    /// Creates a trainer that computes in <paramref name="context"/> (shared with, say, a predictor of the same run);
    /// the context's threads and width are used, not the options'. The caller disposes the context.
    /// </summary>
    public LstmTrainer(LstmModel model, TrainerOptions? options, ComputeContext? context)
    {
        ArgumentNullException.ThrowIfNull(model);
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

    /// <summary>The gradients of the last <see cref="ComputeGradients"/>, laid out like <see cref="LstmModel.Parameters"/>.</summary>
    public ReadOnlySpan<float> Gradients => _gradients.Span;

    /// <summary>The global L2 norm of the last batch's gradients, before any clipping (0 before the first batch).</summary>
    public float LastGradientNorm { get; private set; }

    /// <summary>When true, <see cref="ComputeGradients"/> also computes ∂loss/∂input into <see cref="InputGradient"/>.</summary>
    public bool ComputeInputGradient { get; set; }

    /// <summary>∂loss/∂input [B×T×I] of the last batch, when <see cref="ComputeInputGradient"/> is set.</summary>
    public ReadOnlySpan<float> InputGradient => _trainPlan is { } p && ComputeInputGradient ? new(p.InputGradientBatchMajor, p.Batch * p.Steps * _model.Config.InputSize) : default;

    /// <summary>The class probabilities [B×C] of the last batch (trained on with dropout, or evaluated without).</summary>
    public ReadOnlySpan<float> LastProbabilities => _lastPlan is { } p ? new(p.Probabilities, p.HeadRows * _model.Config.Classes) : default;

    /// <summary>The dropout mask [T×B×H] (0 or 1/keep) layer <paramref name="layer"/> used in the last batch; for tests.</summary>
    internal ReadOnlySpan<float> DropoutMask(int layer) => _trainPlan is { } p ? new(p.Mask(layer), p.Batch * p.Steps * _model.Config.HiddenSize) : default;

    /// <summary>Bytes the worker threads have allocated so far; for the allocation tests.</summary>
    internal long WorkerAllocatedBytes => _context.WorkerAllocatedBytes;

    /// <summary>One training iteration: gradients of the batch loss, then an Adam step. Returns the loss before the step.</summary>
    /// <param name="inputs">[B×T×I] with B = <paramref name="labels"/>.Length.</param>
    /// <param name="labels">Class of each sample, 0 to C−1.</param>
    public float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        float loss = ComputeGradients(inputs, labels, training: true);
        float norm = MathF.Sqrt(TensorPrimitives.SumOfSquares(_gradients.Span));
        LastGradientNorm = norm;
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
    {
        int steps = CheckBatch(inputs, labels);
        var plan = _lastPlan = _trainPlan = _engine.PlanFor(_trainPlan, EngineMode.Train, labels.Length, steps);
        float keep = training ? _options.KeepProbability : 1f;

        _engine.LoadInputs(plan, inputs);
        float* top = _engine.ForwardStack(plan, keep, DropoutRandom);
        _engine.ForwardHead(top, plan.HeadRows, plan.Logits);
        float loss = _engine.ClassificationLoss(plan, labels, LossDivisor(labels.Length));
        _engine.Backward(plan, keep, _gradients.Pointer, ComputeInputGradient);
        return loss;
    }

    /// <summary>
    /// The loss of one batch without dropout and without a backward pass (nothing is changed): what an evaluation
    /// needs. <see cref="LastProbabilities"/> then holds the batch's class probabilities.
    /// </summary>
    public float EvaluateLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        int steps = CheckBatch(inputs, labels);
        var plan = _lastPlan = _evaluationPlan = _engine.PlanFor(_evaluationPlan, EngineMode.Infer, labels.Length, steps);
        _engine.LoadInputs(plan, inputs);
        float* top = _engine.ForwardStack(plan);
        _engine.ForwardHead(top, plan.HeadRows, plan.Logits);
        return _engine.ClassificationLoss(plan, labels, LossDivisor(labels.Length));
    }

    /// <summary>Stops the worker threads, if the trainer made them.</summary>
    public void Dispose()
    {
        if (_ownsContext)
        {
            _context.Dispose();
        }
    }

    private int CheckBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        var config = _model.Config;
        int steps = InputShape.StepsOf(inputs.Length, labels.Length, config.InputSize);
        InputShape.CheckLabels(labels, config.Classes);
        return steps;
    }

    private double LossDivisor(int batch) => _options.Loss == LossReduction.MeanOverBatchAndClasses ? (double)batch * _model.Config.Classes : batch;
}
