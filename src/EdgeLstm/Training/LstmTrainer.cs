using System.Numerics.Tensors;
using EdgeLstm.Engine;
using EdgeLstm.Kernels;
using EdgeLstm.Memory;
using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Training;

/// <summary>
/// Trains an <see cref="LstmModel"/> one batch at a time: forward with dropout, softmax cross-entropy on the last
/// step's top output, BPTT, Adam. Every buffer is allocated on the first batch of a (batch, steps) shape; after that an
/// iteration allocates nothing.
/// </summary>
/// <remarks>Inputs are batch-major [B×T×I], as images are stored (sample b, row t, pixel i).</remarks>
public sealed unsafe class LstmTrainer : IDisposable
{
    private readonly LstmModel _model;
    private readonly TrainerOptions _options;
    private readonly WorkerPool _pool;
    private readonly SimdWidth _width;
    private readonly AdamOptimizer _adam;
    private readonly AlignedBuffer _gradients;
    private readonly StepForwardJob _stepForward = new();
    private readonly StepBackwardJob _stepBackward = new();
    private Workspace? _workspace;

    /// <summary>Creates a trainer; the model's parameters are updated in place by <see cref="TrainBatch"/>.</summary>
    public LstmTrainer(LstmModel model, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new TrainerOptions();
        _options.Validate();
        _model = model;
        _width = SimdSupport.Resolve(_options.Width);
        _pool = new WorkerPool(_options.Threads);
        _adam = new AdamOptimizer(model.Parameters.Length, _options.LearningRate);
        _gradients = new AlignedBuffer(model.Parameters.Length);
        DropoutRandom = new SeededRandom(_options.Seed);
    }

    /// <summary>The model being trained.</summary>
    public LstmModel Model => _model;

    /// <summary>The settings this trainer was made with.</summary>
    public TrainerOptions Options => _options;

    /// <summary>The optimiser (its moments and step count are what a checkpoint saves).</summary>
    public AdamOptimizer Optimizer => _adam;

    /// <summary>The generator of the dropout masks (its state is what a checkpoint saves).</summary>
    public SeededRandom DropoutRandom { get; }

    /// <summary>Threads in use.</summary>
    public int Threads => _pool.Threads;

    /// <summary>The vector width in use.</summary>
    public SimdWidth Width => _width;

    /// <summary>The gradients of the last <see cref="ComputeGradients"/>, laid out like <see cref="LstmModel.Parameters"/>.</summary>
    public ReadOnlySpan<float> Gradients => _gradients.Span;

    /// <summary>When true, <see cref="ComputeGradients"/> also computes ∂loss/∂input into <see cref="InputGradient"/>.</summary>
    public bool ComputeInputGradient { get; set; }

    /// <summary>∂loss/∂input [B×T×I] of the last batch, when <see cref="ComputeInputGradient"/> is set.</summary>
    public ReadOnlySpan<float> InputGradient => _workspace is { } w && ComputeInputGradient ? w.InputGradientBatchMajor.Span : default;

    /// <summary>The class probabilities [B×C] of the last batch (with dropout, as trained on).</summary>
    public ReadOnlySpan<float> LastProbabilities => _workspace is { } w ? w.Probabilities.Span : default;

    /// <summary>The dropout mask [T×B×H] (0 or 1/keep) layer <paramref name="layer"/> used in the last batch; for tests.</summary>
    internal ReadOnlySpan<float> DropoutMask(int layer) => _workspace is { } w ? w.Mask[layer].Span : default;

    /// <summary>Bytes the worker threads have allocated so far; for the allocation tests.</summary>
    internal long WorkerAllocatedBytes => _pool.WorkerAllocatedBytes;

    /// <summary>
    /// The global L2 norm of the last <see cref="TrainBatch"/>'s gradients, before clipping. When it is not finite that
    /// batch did not change the model or the optimiser.
    /// </summary>
    public float LastGradientNorm { get; private set; }

    /// <summary>One training iteration: gradients of the batch loss, then an Adam step. Returns the loss before the step.</summary>
    /// <param name="inputs">[B×T×I] with B = <paramref name="labels"/>.Length.</param>
    /// <param name="labels">Class of each sample, 0 to C−1.</param>
    public float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        float loss = ComputeGradients(inputs, labels, training: true);
        float norm = LastGradientNorm = MathF.Sqrt(TensorPrimitives.SumOfSquares(_gradients.Span));
        if (!float.IsFinite(norm))
        {
            // A non-finite gradient would make every weight NaN: the step is skipped and the caller told by the norm.
            return loss;
        }

        if (_options.GradientClipNorm > 0)
        {
            if (norm > _options.GradientClipNorm)
            {
                TensorPrimitives.Multiply(_gradients.Span, _options.GradientClipNorm / norm, _gradients.Span);
            }
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
        var config = _model.Config;
        int batch = labels.Length;
        int steps = InputShape.StepsOf(inputs.Length, batch, config.InputSize);

        // Before any buffer of this shape exists: the limits keep every product below int32 (see ModelLimits).
        ModelLimits.CheckBatch(config, batch, steps);
        InputShape.CheckLabels(labels, config.Classes);
        var w = _workspace is { } existing && existing.Batch == batch && existing.Steps == steps
            ? existing
            : _workspace = new Workspace(config, batch, steps);

        var packed = _model.Packed;
        float keep = training ? _options.KeepProbability : 1f;
        int layers = config.Layers, hidden = config.HiddenSize, classes = config.Classes;
        long bh = (long)batch * hidden;
        fixed (float* x = inputs)
        {
            InputShape.ToTimeMajor(x, w.Input.Pointer, batch, steps, config.InputSize);
        }

        // Forward, layer at a time over the whole sequence.
        for (int l = 0; l < layers; l++)
        {
            var f = w.ForwardOf(l, l == 0 ? w.Input.Pointer : w.OutputOf(l - 1, keep));
            LayerPass.RunForward(f, packed.Input(l, _width), packed.Recurrent(l, _width), packed.Bias(l), _pool, _width, _stepForward);
            if (keep < 1f)
            {
                // Inverted dropout on the layer's output (not on the state it carries to its next step, as TF's
                // DropoutWrapper does). The top layer only feeds the dense layer at its last step.
                long first = l == layers - 1 ? (steps - 1) * bh : 0;
                Dropout.Apply(w.H[l].Span[(int)first..], w.Mask[l].Span[(int)first..], w.Dropped[l].Span[(int)first..], keep, DropoutRandom);
            }
        }

        float* top = w.OutputOf(layers - 1, keep) + ((steps - 1) * bh);
        float* fcWeight = _model.ParameterPointer + _model.FcWeightOffset;
        DenseLayer.Forward(_model, packed, top, batch, w.Logits.Pointer, _pool, _width);

        SoftmaxCrossEntropy.Softmax(w.Logits.Span, w.Probabilities.Span, batch, classes);
        double divisor = _options.Loss == LossReduction.MeanOverBatchAndClasses ? (double)batch * classes : batch;
        float loss = (float)(SoftmaxCrossEntropy.SumNegativeLogLikelihood(w.Logits.Span, labels, classes) / divisor);

        // Backward: the dense layer, then BPTT down the stack.
        SoftmaxCrossEntropy.Backward(w.Probabilities.Span, labels, w.DLogits.Span, classes, (float)(1.0 / divisor));
        float* grads = _gradients.Pointer;
        MatMul.Run(_pool, MatMulForm.AtB, w.DLogits.Pointer, classes, top, hidden, grads + _model.FcWeightOffset, hidden, classes, hidden, batch, false, _width);
        var fcBiasGrad = _gradients.Span.Slice(_model.FcBiasOffset, classes);
        fcBiasGrad.Clear();
        for (int b = 0; b < batch; b++)
        {
            TensorPrimitives.Add(fcBiasGrad, w.DLogits.Span.Slice(b * classes, classes), fcBiasGrad);
        }

        var dTop = w.DH[(layers - 1) & 1];
        dTop.Span[..(int)((steps - 1) * bh)].Clear();
        float* dTopLast = dTop.Pointer + ((steps - 1) * bh);
        MatMul.Run(_pool, MatMulForm.AB, w.DLogits.Pointer, classes, fcWeight, hidden, dTopLast, hidden, batch, hidden, classes, false, _width);
        if (keep < 1f)
        {
            Dropout.Backward(dTop.Span[(int)((steps - 1) * bh)..], w.Mask[layers - 1].Span[(int)((steps - 1) * bh)..]);
        }

        for (int l = layers - 1; l >= 0; l--)
        {
            var f = w.ForwardOf(l, l == 0 ? w.Input.Pointer : w.OutputOf(l - 1, keep));
            var g = new LayerPass.Gradients
            {
                WeightIh = grads + _model.LayerOffsets[l].WeightIh,
                WeightHh = grads + _model.LayerOffsets[l].WeightHh,
                BiasIh = grads + _model.LayerOffsets[l].BiasIh,
                BiasHh = grads + _model.LayerOffsets[l].BiasHh,
                Input = l > 0 ? w.DH[(l - 1) & 1].Pointer : (ComputeInputGradient ? w.InputGradient.Pointer : null),
            };
            float* weightIh = _model.ParameterPointer + _model.LayerOffsets[l].WeightIh;
            float* weightHh = _model.ParameterPointer + _model.LayerOffsets[l].WeightHh;
            LayerPass.RunBackward(f, weightIh, weightHh, w.DH[l & 1].Pointer, w.DGates.Pointer, w.DC.Pointer, w.WeightScratch.Pointer, g, _pool, _width, _stepBackward);
            if (l > 0 && keep < 1f)
            {
                Dropout.Backward(w.DH[(l - 1) & 1].Span, w.Mask[l - 1].Span);
            }
        }

        if (ComputeInputGradient)
        {
            InputShape.ToBatchMajor(w.InputGradient.Pointer, w.InputGradientBatchMajor.Pointer, batch, steps, config.InputSize);
        }

        return loss;
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => _pool.Dispose();

    /// <summary>Everything one (batch, steps) shape needs, allocated together.</summary>
    private sealed class Workspace
    {
        public Workspace(LstmConfig config, int batch, int steps)
        {
            Batch = batch;
            Steps = steps;
            Hidden = config.HiddenSize;
            InputSize = config.InputSize;
            int rows = checked(batch * steps);
            int rowsH = checked(rows * config.HiddenSize);
            Input = new AlignedBuffer(checked(rows * config.InputSize));
            InputGradient = new AlignedBuffer(checked(rows * config.InputSize));
            InputGradientBatchMajor = new AlignedBuffer(checked(rows * config.InputSize));
            Gates = new AlignedBuffer[config.Layers];
            C = new AlignedBuffer[config.Layers];
            TanhC = new AlignedBuffer[config.Layers];
            H = new AlignedBuffer[config.Layers];
            Mask = new AlignedBuffer[config.Layers];
            Dropped = new AlignedBuffer[config.Layers];
            for (int l = 0; l < config.Layers; l++)
            {
                Gates[l] = new AlignedBuffer(checked(4 * rowsH));
                C[l] = new AlignedBuffer(rowsH);
                TanhC[l] = new AlignedBuffer(rowsH);
                H[l] = new AlignedBuffer(rowsH);
                Mask[l] = new AlignedBuffer(rowsH);
                Dropped[l] = new AlignedBuffer(rowsH);
            }

            int batchClasses = checked(batch * config.Classes);
            Logits = new AlignedBuffer(batchClasses);
            Probabilities = new AlignedBuffer(batchClasses);
            DLogits = new AlignedBuffer(batchClasses);
            DH = [new AlignedBuffer(rowsH), new AlignedBuffer(rowsH)];
            DGates = new AlignedBuffer(checked(4 * rowsH));
            DC = new AlignedBuffer(checked(batch * config.HiddenSize));
            WeightScratch = new AlignedBuffer(checked(Math.Max(config.InputSize, config.HiddenSize) * 4 * config.HiddenSize));
        }

        public AlignedBuffer WeightScratch { get; }

        public int Batch { get; }

        public int Steps { get; }

        public int Hidden { get; }

        public int InputSize { get; }

        public AlignedBuffer Input { get; }

        public AlignedBuffer InputGradient { get; }

        public AlignedBuffer InputGradientBatchMajor { get; }

        public AlignedBuffer[] Gates { get; }

        public AlignedBuffer[] C { get; }

        public AlignedBuffer[] TanhC { get; }

        public AlignedBuffer[] H { get; }

        public AlignedBuffer[] Mask { get; }

        public AlignedBuffer[] Dropped { get; }

        public AlignedBuffer Logits { get; }

        public AlignedBuffer Probabilities { get; }

        public AlignedBuffer DLogits { get; }

        public AlignedBuffer[] DH { get; }

        public AlignedBuffer DGates { get; }

        public AlignedBuffer DC { get; }

        /// <summary>What layer <paramref name="layer"/> hands upward: its h, or h after dropout.</summary>
        public float* OutputOf(int layer, float keep) => keep < 1f ? Dropped[layer].Pointer : H[layer].Pointer;

        public LayerPass.Forward ForwardOf(int layer, float* input) => new()
        {
            Steps = Steps,
            Batch = Batch,
            InputSize = layer == 0 ? InputSize : Hidden,
            Hidden = Hidden,
            Input = input,
            Gates = Gates[layer].Pointer,
            C = C[layer].Pointer,
            TanhC = TanhC[layer].Pointer,
            H = H[layer].Pointer,
            KeepAllSteps = true,
        };
    }
}
