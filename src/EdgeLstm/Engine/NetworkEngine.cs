using EdgeLstm.Kernels;
using EdgeLstm.Model;

namespace EdgeLstm.Engine;

/// <summary>
/// Runs a model's network: the recurrent stack layer by layer, then the head; in training, the loss and the backward
/// pass down the same path. The trainer, the predictor and the stream are thin drivers of this one class; all of them
/// compute in the same <see cref="ComputeContext"/> and on an <see cref="ActivationPlan"/> they own.
/// </summary>
internal sealed unsafe class NetworkEngine
{
    private readonly LstmModel _model;
    private readonly NetworkDescription _network;

    public NetworkEngine(LstmModel model, ComputeContext context)
    {
        _model = model;
        _network = model.Network;
        Context = context;
    }

    public ComputeContext Context { get; }

    public NetworkDescription Network => _network;

    /// <summary><paramref name="plan"/> when it fits the shape, else a new plan for it.</summary>
    public ActivationPlan PlanFor(ActivationPlan? plan, EngineMode mode, int batch, int steps)
        => plan is not null && plan.Fits(mode, batch, steps) ? plan : new ActivationPlan(_network, mode, batch, steps);

    /// <summary>
    /// Copies batch-major inputs [B×T×I] into the plan's time-major input and sets the batch's lengths (empty: every
    /// sample is T steps long; a length of 0, with <paramref name="allowEmptySlots"/>, is a slot without a sample). The
    /// values of a sample's padded steps are never read.
    /// </summary>
    public void LoadInputs(ActivationPlan plan, ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths = default, bool allowEmptySlots = false)
    {
        plan.SetLengths(lengths, allowEmptySlots);
        fixed (float* x = inputs)
        {
            InputShape.ToTimeMajor(x, plan.Input, plan.Batch, plan.Steps, _network.InputSize);
        }

        if (plan.Padded)
        {
            // A padded step is still computed (then its state is held), so its input is zeroed: a NaN or Inf there
            // would otherwise reach the gradients through 0·NaN.
            int inputSize = _network.InputSize;
            for (int b = 0; b < plan.Batch; b++)
            {
                for (int t = plan.Lengths[b]; t < plan.Steps; t++)
                {
                    new Span<float>(plan.Input + ((((long)t * plan.Batch) + b) * inputSize), inputSize).Clear();
                }
            }
        }
    }

    /// <summary>
    /// The recurrent stack over the plan's input, layer at a time over the whole sequence. With
    /// <paramref name="keep"/> below 1 (training only) each layer's output goes through inverted dropout before the layer
    /// above (or the head) reads it — not the state a layer carries to its next step, as TF's DropoutWrapper does.
    /// </summary>
    /// <param name="finalC">Where each layer's last cell state goes, [L×B×H], or null.</param>
    /// <param name="finalH">Where each layer's last output goes, [L×B×H], or null.</param>
    /// <returns>What the head reads: the top layer's output at the last step [B×H], or at every step [T·B×H] for a per-step head.</returns>
    public float* ForwardStack(ActivationPlan plan, float keep = 1f, SeededRandom? dropoutRandom = null, float* finalC = null, float* finalH = null)
    {
        var weights = EngineWeights.Of(_model);
        int layers = _network.Layers.Count;
        bool dropout = keep < 1f;
        for (int l = 0; l < layers; l++)
        {
            var f = plan.Layer(l, dropout);
            var inputT = weights.Input(l, Context.Width);
            var recurrentT = weights.Recurrent(l, Context.Width);
            bool lstm = _network.Layers[l].Cell == CellKind.Lstm;
            if (lstm)
            {
                LstmLayer.Forward(Context, f, inputT, recurrentT, weights.Bias(l));
            }
            else
            {
                GruLayer.Forward(Context, f, inputT, recurrentT, weights.Bias(l));
            }

            // Inference reuses the layers' buffers, so the final state is taken before the next layer overwrites it.
            // A GRU has no cell state: its c is reported as zeros.
            int last = plan.Steps - 1;
            CopyState(lstm ? f.CellAt(last) : null, finalC, l, f.StepFloats);
            CopyState(f.OutputAt(last), finalH, l, f.StepFloats);
            if (dropout)
            {
                // A last-step head reads the top layer only at its last step: only that part is dropped out.
                long bh = f.StepFloats;
                int first = (int)(l == layers - 1 && !_network.HeadReadsEveryStep ? (plan.Steps - 1) * bh : 0);
                int length = (int)(plan.Steps * bh) - first;
                Dropout.Apply(new ReadOnlySpan<float>(f.H + first, length), new Span<float>(plan.Mask(l) + first, length), new Span<float>(plan.OutputOf(l, true) + first, length), keep, dropoutRandom!);
            }
        }

        if (plan.Mode == EngineMode.Stream)
        {
            plan.CurrentSlot = 1 - plan.CurrentSlot;
            plan.StateIsZero = false;
            return plan.StateH(layers - 1, plan.CurrentSlot);
        }

        return HeadInput(plan, dropout);
    }

    /// <summary>The top layer's output at every step [T·B×H], time-major (without dropout).</summary>
    public float* TopOutputs(ActivationPlan plan) => plan.OutputOf(_network.Layers.Count - 1, false);

    /// <summary>The rows of top-layer output the head reads (after dropout in training).</summary>
    public float* HeadInput(ActivationPlan plan, bool dropout)
    {
        float* top = plan.OutputOf(_network.Layers.Count - 1, dropout);
        return _network.HeadReadsEveryStep ? top : top + ((plan.Steps - 1) * (long)plan.Batch * _network.TopHidden);
    }

    private static void CopyState(float* source, float* destination, int layer, long floats)
    {
        if (destination == null)
        {
            return;
        }

        if (source == null)
        {
            new Span<float>(destination + (layer * floats), (int)floats).Clear();
        }
        else
        {
            long bytes = floats * sizeof(float);
            Buffer.MemoryCopy(source, destination + (layer * floats), bytes, bytes);
        }
    }

    /// <summary>The head on <paramref name="rows"/> rows of top-layer outputs: [rows×H] → [rows×K].</summary>
    public void ForwardHead(float* hidden, int rows, float* outputs)
        => DenseHead.Forward(Context, EngineWeights.Of(_model).Head, _model.Parameters.Slice(_model.FcBiasOffset, _network.Outputs), hidden, rows, outputs);

    /// <summary>
    /// The head's loss over the plan's head outputs, summed and divided by <paramref name="divisor"/>; in training also
    /// ∂loss/∂outputs into the plan. A classifier takes <paramref name="labels"/> (softmax cross-entropy, and the plan's
    /// probabilities are filled); a regression takes <paramref name="targets"/> (squared error). Both come batch-major,
    /// [B] or [B×T] labels, [B×K] or [B×T×K] targets, and are put in the head's row order here.
    /// </summary>
    public float Loss(ActivationPlan plan, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, double divisor)
    {
        int rows = plan.HeadRows, k = _network.Outputs;
        var outputs = new ReadOnlySpan<float>(plan.Logits, rows * k);
        var dOutputs = new Span<float>(plan.DLogits, plan.Mode == EngineMode.Train ? rows * k : 0);
        if (_network.HeadRegresses)
        {
            var t = new Span<float>(plan.Targets, rows * k);
            ToHeadRows(plan, targets, t, k);
            if (plan.Padded)
            {
                // A padded step's target is its own output: it adds exactly zero to the error and to the gradient.
                for (int r = 0; r < rows; r++)
                {
                    if (plan.IsPaddedRow(r))
                    {
                        outputs.Slice(r * k, k).CopyTo(t.Slice(r * k, k));
                    }
                }
            }

            float error = (float)(MeanSquaredError.Sum(outputs, t) / divisor);
            if (!dOutputs.IsEmpty)
            {
                MeanSquaredError.Backward(outputs, t, dOutputs, (float)(1.0 / divisor));
            }

            return error;
        }

        ToHeadRows(plan, labels, plan.HeadLabels, 1);
        if (plan.Padded)
        {
            // A padded row's label is not the caller's to get right (it was never checked): it becomes "no label",
            // which the softmax backward turns into a zero gradient row.
            for (int r = 0; r < rows; r++)
            {
                if (plan.IsPaddedRow(r))
                {
                    plan.HeadLabels[r] = SoftmaxCrossEntropy.NoLabel;
                }
            }
        }

        var probabilities = new Span<float>(plan.Probabilities, rows * k);
        SoftmaxCrossEntropy.Softmax(outputs, probabilities, rows, k);
        float loss = (float)(SumNegativeLogLikelihood(plan, outputs, k) / divisor);
        if (!dOutputs.IsEmpty)
        {
            SoftmaxCrossEntropy.Backward(probabilities, plan.HeadLabels, dOutputs, k, (float)(1.0 / divisor));
        }

        return loss;
    }

    /// <summary>The classifier's summed −log p over the real rows: a padded step's label is not counted.</summary>
    private static double SumNegativeLogLikelihood(ActivationPlan plan, ReadOnlySpan<float> outputs, int k)
    {
        if (!plan.Padded)
        {
            return SoftmaxCrossEntropy.SumNegativeLogLikelihood(outputs, plan.HeadLabels, k);
        }

        double sum = 0;
        for (int r = 0; r < plan.HeadRows; r++)
        {
            if (!plan.IsPaddedRow(r))
            {
                sum += SoftmaxCrossEntropy.SumNegativeLogLikelihood(outputs.Slice(r * k, k), plan.HeadLabels.AsSpan(r, 1), k);
            }
        }

        return sum;
    }

    /// <summary>What a caller reads after the head: class probabilities of a classifier, the outputs of a regression.</summary>
    public float* HeadResults(ActivationPlan plan) => _network.HeadRegresses ? plan.Logits : plan.Probabilities;

    /// <summary>Batch-major [B(×T)×width] values into the head's row order (time-major rows for a per-step head).</summary>
    private void ToHeadRows<T>(ActivationPlan plan, ReadOnlySpan<T> batchMajor, Span<T> rows, int width)
    {
        if (!_network.HeadReadsEveryStep)
        {
            batchMajor.CopyTo(rows);
            return;
        }

        for (int b = 0; b < plan.Batch; b++)
        {
            for (int t = 0; t < plan.Steps; t++)
            {
                batchMajor.Slice(((b * plan.Steps) + t) * width, width).CopyTo(rows.Slice(((t * plan.Batch) + b) * width, width));
            }
        }
    }

    /// <summary>
    /// The backward pass of a training plan after <see cref="ForwardStack"/> and the loss: the head, then BPTT down the
    /// stack. Writes every parameter's gradient into <paramref name="gradients"/> (laid out like the model's
    /// parameters) and, when <paramref name="inputGradient"/>, ∂loss/∂input [B×T×I] into the plan.
    /// </summary>
    public void Backward(ActivationPlan plan, float keep, float* gradients, bool inputGradient)
    {
        int layers = _network.Layers.Count, batch = plan.Batch, steps = plan.Steps;
        int hidden = _network.TopHidden, k = _network.Outputs;
        bool dropout = keep < 1f;
        long bh = (long)batch * hidden;
        float* parameters = _model.ParameterPointer;

        // The head: its gradients, and ∂loss/∂h of the top layer at the steps it reads (zero at the others).
        float* dTop = ((layers - 1) & 1) == 0 ? plan.DH0 : plan.DH1;
        long firstRead = _network.HeadReadsEveryStep ? 0 : (steps - 1) * bh;
        new Span<float>(dTop, (int)firstRead).Clear();
        DenseHead.Backward(Context, plan.DLogits, HeadInput(plan, dropout), plan.HeadRows, parameters + _model.FcWeightOffset, hidden, k, gradients + _model.FcWeightOffset, new Span<float>(gradients + _model.FcBiasOffset, k), dTop + firstRead);
        if (dropout)
        {
            int read = (int)((steps * bh) - firstRead);
            Dropout.Backward(new Span<float>(dTop + firstRead, read), new ReadOnlySpan<float>(plan.Mask(layers - 1) + firstRead, read));
        }

        if (plan.Padded && !_network.HeadReadsEveryStep)
        {
            // The head read step T−1, where a shorter sample holds a copy of its own last step's h: the gradient goes there.
            // An empty slot has no step to take it: its gradient (zero: its head row has none) is dropped.
            for (int b = 0; b < batch; b++)
            {
                int last = plan.Lengths[b] - 1;
                if (last < steps - 1)
                {
                    var read = new Span<float>(dTop + firstRead + ((long)b * hidden), hidden);
                    if (last >= 0)
                    {
                        read.CopyTo(new Span<float>(dTop + (last * bh) + ((long)b * hidden), hidden));
                    }

                    read.Clear();
                }
            }
        }

        for (int l = layers - 1; l >= 0; l--)
        {
            var f = plan.Layer(l, dropout);
            var offsets = _model.LayerOffsets[l];
            float* dBelow = ((l - 1) & 1) == 0 ? plan.DH0 : plan.DH1;
            var g = new LayerGradients
            {
                WeightIh = gradients + offsets.WeightIh,
                WeightHh = gradients + offsets.WeightHh,
                BiasIh = gradients + offsets.BiasIh,
                BiasHh = gradients + offsets.BiasHh,
                Input = l > 0 ? dBelow : (inputGradient ? plan.InputGradient : null),
            };
            float* dH = (l & 1) == 0 ? plan.DH0 : plan.DH1;
            if (_network.Layers[l].Cell == CellKind.Lstm)
            {
                LstmLayer.Backward(Context, f, parameters + offsets.WeightIh, parameters + offsets.WeightHh, dH, plan.DGates, plan.DC, plan.WeightScratch, g);
            }
            else
            {
                GruLayer.Backward(Context, f, parameters + offsets.WeightIh, parameters + offsets.WeightHh, dH, plan.DGates, plan.DHiddenGates, plan.WeightScratch, g);
            }

            if (l > 0 && dropout)
            {
                int length = (int)(steps * (long)batch * _network.Layers[l - 1].HiddenSize);
                Dropout.Backward(new Span<float>(dBelow, length), new ReadOnlySpan<float>(plan.Mask(l - 1), length));
            }
        }

        if (inputGradient)
        {
            InputShape.ToBatchMajor(plan.InputGradient, plan.InputGradientBatchMajor, batch, steps, _network.InputSize);
        }
    }
}
