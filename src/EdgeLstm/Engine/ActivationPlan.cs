using EdgeLstm.Memory;
using EdgeLstm.Model;

namespace EdgeLstm.Engine;

/// <summary>
/// Every buffer one (mode, batch, steps) shape of a network needs, carved out of ONE allocation made when the shape is
/// first seen (llm.c's single activation allocation): the time-major input, each layer's activations, the head's
/// outputs and, in training, the gradients that flow backward. After that a forward or backward pass allocates nothing.
/// </summary>
/// <remarks>
/// Training keeps every step of every layer. Inference keeps one layer at a time (two sequence buffers used in turn by
/// the layers) and one step of cell state. A stream keeps one step and each layer's (c, h) in two slots: a step reads
/// the state in one slot and writes the next state into the other.
/// </remarks>
internal sealed unsafe class ActivationPlan
{
    private const int AlignmentFloats = 16;

    private readonly NetworkDescription _network;

    // The pinned allocation every pointer below points into, held so it lives as long as the plan (null when counting).
    private readonly AlignedBuffer? _memory;
    private long _used;

    private readonly float*[] _gates, _c, _tanhC, _h, _mask, _dropped;
    private readonly float*[] _stateC, _stateH;

    public ActivationPlan(NetworkDescription network, EngineMode mode, int batch, int steps)
        : this(network, mode, batch, steps, allocate: true)
    {
    }

    /// <summary>
    /// With <paramref name="allocate"/> false, only counts: the walk runs from a null base and nothing of the shape's
    /// size is allocated (no memory, no labels, no lengths), for <see cref="CarvedBytes"/>.
    /// </summary>
    private ActivationPlan(NetworkDescription network, EngineMode mode, int batch, int steps, bool allocate)
    {
        _network = network;
        Mode = mode;
        Batch = batch;
        Steps = steps;
        HeadRows = network.HeadReadsEveryStep ? checked(batch * steps) : batch;
        HeadLabels = network.HeadRegresses || !allocate ? [] : new int[HeadRows];
        Lengths = allocate ? new int[batch] : [];
        int layers = network.Layers.Count;
        _gates = new float*[layers];
        _c = new float*[layers];
        _tanhC = new float*[layers];
        _h = new float*[layers];
        _mask = new float*[layers];
        _dropped = new float*[layers];
        _stateC = new float*[2 * layers];
        _stateH = new float*[2 * layers];

        // The same walk twice: first from a null base to count, then over the real allocation.
        Carve(null);
        long total = _used;
        if (!allocate)
        {
            return;
        }

        if (total > int.MaxValue - AlignmentFloats)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"A batch of {batch} sequences of {steps} steps needs {total} floats of activations in {mode} mode; one allocation holds at most {int.MaxValue - AlignmentFloats}.");
        }

        _memory = new AlignedBuffer((int)total);
        _used = 0;
        Carve(_memory.Pointer);
        SetLengths(default);
    }

    public EngineMode Mode { get; }

    public int Batch { get; }

    public int Steps { get; }

    /// <summary>Rows the head reads: one per sample for a last-step head, one per sample and step (time-major) otherwise.</summary>
    public int HeadRows { get; }

    /// <summary>Class labels in head-row order (time-major for a per-step head), for the loss.</summary>
    public int[] HeadLabels { get; }

    /// <summary>Each sample's length, 1..T (all T unless the last batch said otherwise); 0 for an empty slot (training only).</summary>
    public int[] Lengths { get; }

    /// <summary>True when some sample of the current batch is shorter than <see cref="Steps"/> (or an empty slot).</summary>
    public bool Padded { get; private set; }

    /// <summary>Head rows that hold a real step: the samples that are not empty slots for a last-step head, Σ lengths for a per-step head.</summary>
    public int RealHeadRows { get; private set; }

    /// <summary>
    /// Checks a batch's lengths: empty means every sample is full length; otherwise one per sample, each 1..T, or
    /// 0..T with <paramref name="allowEmptySlots"/> (a trainer's batch filled up to its size: a slot of length 0 holds no
    /// sample and adds nothing to the loss), with at least one sample that is not empty.
    /// </summary>
    public static void CheckLengths(ReadOnlySpan<int> lengths, int batch, int steps, bool allowEmptySlots)
    {
        if (lengths.IsEmpty)
        {
            return;
        }

        if (lengths.Length != batch)
        {
            throw new ArgumentException($"lengths must hold one length per sample: {batch}; it holds {lengths.Length}.", nameof(lengths));
        }

        int shortest = allowEmptySlots ? 0 : 1;
        bool any = false;
        for (int b = 0; b < batch; b++)
        {
            if (lengths[b] < shortest || lengths[b] > steps)
            {
                throw new ArgumentException($"lengths[{b}] is {lengths[b]}; a length must be {shortest}{(allowEmptySlots ? " (an empty slot)" : string.Empty)} to the batch's {steps} steps.", nameof(lengths));
            }

            any |= lengths[b] > 0;
        }

        if (!any)
        {
            throw new ArgumentException($"lengths are all 0: the batch's {batch} slots are empty; it needs at least one sample.", nameof(lengths));
        }
    }

    /// <summary>
    /// Sets the batch's lengths (see <see cref="CheckLengths"/>); checked here, before any computation, so a bad length
    /// changes nothing.
    /// </summary>
    public void SetLengths(ReadOnlySpan<int> lengths, bool allowEmptySlots = false)
    {
        CheckLengths(lengths, Batch, Steps, allowEmptySlots);
        if (lengths.IsEmpty)
        {
            Array.Fill(Lengths, Steps);
        }
        else
        {
            lengths.CopyTo(Lengths);
        }

        long real = 0;
        int samples = 0;
        Padded = false;
        foreach (int length in Lengths)
        {
            real += length;
            samples += length > 0 ? 1 : 0;
            Padded |= length < Steps;
        }

        RealHeadRows = _network.HeadReadsEveryStep ? (int)real : samples;
    }

    /// <summary>
    /// True when head row <paramref name="row"/> (time-major for a per-step head) reads no real step: a padded step, or
    /// any row of an empty slot.
    /// </summary>
    public bool IsPaddedRow(int row) => Padded && (_network.HeadReadsEveryStep ? Lengths[row % Batch] <= row / Batch : Lengths[row] == 0);

    /// <summary>[rows×K] regression targets in head-row order.</summary>
    public float* Targets { get; private set; }

    /// <summary>[T·B×I] the input, time-major.</summary>
    public float* Input { get; private set; }

    /// <summary>[rows×K] the head's outputs before the softmax.</summary>
    public float* Logits { get; private set; }

    /// <summary>[rows×K] class probabilities (a classifier's), or the outputs themselves (a regression's).</summary>
    public float* Probabilities { get; private set; }

    /// <summary>[rows×K] ∂loss/∂logits (training).</summary>
    public float* DLogits { get; private set; }

    /// <summary>Two [T·B×H] buffers of ∂loss/∂h used in turn by the layers on the way down (training).</summary>
    public float* DH0 { get; private set; }

    /// <inheritdoc cref="DH0"/>
    public float* DH1 { get; private set; }

    /// <summary>[T·B×G·H] gate gradients of the layer being back-propagated (training).</summary>
    public float* DGates { get; private set; }

    /// <summary>[T·B×G·H] GRU: gradients of the hidden projections, which differ from the gates' in the n block (training).</summary>
    public float* DHiddenGates { get; private set; }

    /// <summary>[B×G·H] GRU: one step's h_prev·W_hhᵀ.</summary>
    public float* Recurrent { get; private set; }

    /// <summary>[B×H] ∂loss/∂c flowing back one step (training).</summary>
    public float* DC { get; private set; }

    /// <summary>
    /// The transposed weight gradients before they are put in place (training): [(I + H)×G·H] for an LSTM layer, whose two
    /// come out of one product, [max(I, H)×G·H] for a GRU's; the largest any layer needs.
    /// </summary>
    public float* WeightScratch { get; private set; }

    /// <summary>[T·B×I] ∂loss/∂input, time-major, then batch-major (training).</summary>
    public float* InputGradient { get; private set; }

    /// <inheritdoc cref="InputGradient"/>
    public float* InputGradientBatchMajor { get; private set; }

    /// <summary>Floats in the one allocation (the walk's count, which the allocation holds exactly).</summary>
    public long Floats => _used;

    /// <summary>
    /// The bytes a plan of this shape carves (<see cref="Floats"/> × 4), counted by the same walk that carves them but
    /// without allocating them, so that a caller can check the memory before the first pass asks for it.
    /// </summary>
    public static long CarvedBytes(NetworkDescription network, EngineMode mode, int batch, int steps)
        => sizeof(float) * new ActivationPlan(network, mode, batch, steps, allocate: false)._used;

    /// <summary>True when this plan is for <paramref name="mode"/>, <paramref name="batch"/> and <paramref name="steps"/>.</summary>
    public bool Fits(EngineMode mode, int batch, int steps) => Mode == mode && Batch == batch && Steps == steps;

    /// <summary>Which stream slot holds the current state (0 or 1).</summary>
    public int CurrentSlot { get; set; }

    /// <summary>True while a stream's state is all zeros (no step taken, or reset): the first step skips the products with it.</summary>
    public bool StateIsZero { get; set; } = true;

    /// <summary>The dropout mask [T·B×H] of a layer (training).</summary>
    public float* Mask(int layer) => _mask[layer];

    /// <summary>A stream layer's cell state in a slot [B×H].</summary>
    public float* StateC(int layer, int slot) => _stateC[(2 * layer) + slot];

    /// <summary>A stream layer's output in a slot [B×H].</summary>
    public float* StateH(int layer, int slot) => _stateH[(2 * layer) + slot];

    /// <summary>What layer <paramref name="layer"/> hands upward: its h, or h after dropout.</summary>
    public float* OutputOf(int layer, bool dropout) => dropout ? _dropped[layer] : _h[layer];

    /// <summary>Layer <paramref name="layer"/>'s buffers for this pass; <paramref name="dropout"/> says whether the layer below's output went through dropout.</summary>
    public LayerActivations Layer(int layer, bool dropout)
    {
        var f = new LayerActivations
        {
            Steps = Steps,
            Batch = Batch,
            InputSize = _network.LayerInputSize(layer),
            Hidden = _network.Layers[layer].HiddenSize,
            Gates = _gates[layer],
            C = _c[layer],
            TanhC = _tanhC[layer],
            HiddenN = _tanhC[layer],
            Recurrent = Recurrent,
            H = _h[layer],
            KeepAllSteps = Mode == EngineMode.Train,
            Lengths = Padded ? Lengths : null,
        };
        if (Mode == EngineMode.Stream)
        {
            int next = 1 - CurrentSlot;
            f.Input = layer == 0 ? Input : StateH(layer - 1, next);
            f.H0 = StateIsZero ? null : StateH(layer, CurrentSlot);
            f.C0 = StateIsZero ? null : StateC(layer, CurrentSlot);
            f.C = StateC(layer, next);
            f.H = StateH(layer, next);
        }
        else
        {
            f.Input = layer == 0 ? Input : OutputOf(layer - 1, dropout);
        }

        return f;
    }

    private void Carve(float* memory)
    {
        int layers = _network.Layers.Count;
        long rows = (long)Batch * Steps;
        int maxHidden = 0, maxGates = 0, maxInput = _network.InputSize;
        long weightScratch = 0;
        for (int l = 0; l < layers; l++)
        {
            var layer = _network.Layers[l];
            int input = _network.LayerInputSize(l);
            maxHidden = Math.Max(maxHidden, layer.HiddenSize);
            maxGates = Math.Max(maxGates, layer.Gates * layer.HiddenSize);
            maxInput = Math.Max(maxInput, input);

            // An LSTM's two weight gradients come out of one pass over its gate gradients, side by side (RecurrentWeightGradients).
            long scratchRows = layer.Cell == CellKind.Lstm ? (long)input + layer.HiddenSize : Math.Max(input, layer.HiddenSize);
            weightScratch = Math.Max(weightScratch, scratchRows * layer.Gates * layer.HiddenSize);
        }

        bool anyGru = _network.Layers.Any(layer => layer.Cell == CellKind.Gru);
        long outputs = (long)HeadRows * _network.Outputs;
        Input = Take(memory, rows * _network.InputSize);
        Recurrent = anyGru ? Take(memory, (long)Batch * maxGates) : null;
        Logits = Take(memory, outputs);
        Probabilities = Take(memory, outputs);
        Targets = _network.HeadRegresses ? Take(memory, outputs) : null;
        switch (Mode)
        {
            case EngineMode.Train:
                for (int l = 0; l < layers; l++)
                {
                    var layer = _network.Layers[l];
                    long rowsH = rows * layer.HiddenSize;
                    _gates[l] = Take(memory, rows * layer.Gates * layer.HiddenSize);

                    // An LSTM keeps c and tanh(c); a GRU has no c and keeps h_prev·W_hnᵀ + b_hn where tanh(c) would be.
                    _c[l] = layer.Cell == CellKind.Lstm ? Take(memory, rowsH) : null;
                    _tanhC[l] = Take(memory, rowsH);
                    _h[l] = Take(memory, rowsH);
                    _mask[l] = Take(memory, rowsH);
                    _dropped[l] = Take(memory, rowsH);
                }

                DLogits = Take(memory, outputs);
                DH0 = Take(memory, rows * maxHidden);
                DH1 = Take(memory, rows * maxHidden);
                DGates = Take(memory, rows * maxGates);
                DHiddenGates = anyGru ? Take(memory, rows * maxGates) : null;
                DC = Take(memory, (long)Batch * maxHidden);
                WeightScratch = Take(memory, weightScratch);
                InputGradient = Take(memory, rows * _network.InputSize);
                InputGradientBatchMajor = Take(memory, rows * _network.InputSize);
                break;
            case EngineMode.Infer:
                {
                    // One gate buffer, two cell-state slots and one tanh(c) scratch serve every layer in turn; the layers'
                    // outputs alternate between two sequence buffers (layer l reads l−1's while it writes its own).
                    float* gates = Take(memory, rows * maxGates);
                    float* c = Take(memory, 2L * Batch * maxHidden);
                    float* tanhC = Take(memory, (long)Batch * maxHidden);
                    float* h0 = Take(memory, rows * maxHidden);
                    float* h1 = Take(memory, rows * maxHidden);
                    for (int l = 0; l < layers; l++)
                    {
                        _gates[l] = gates;
                        _c[l] = c;
                        _tanhC[l] = tanhC;
                        _h[l] = (l & 1) == 0 ? h0 : h1;
                    }

                    break;
                }

            default:
                {
                    float* gates = Take(memory, (long)Batch * maxGates);
                    float* tanhC = Take(memory, (long)Batch * maxHidden);
                    for (int l = 0; l < layers; l++)
                    {
                        _gates[l] = gates;
                        _tanhC[l] = tanhC;
                        long bh = (long)Batch * _network.Layers[l].HiddenSize;
                        for (int slot = 0; slot < 2; slot++)
                        {
                            _stateC[(2 * l) + slot] = Take(memory, bh);
                            _stateH[(2 * l) + slot] = Take(memory, bh);
                        }
                    }

                    break;
                }
        }
    }

    /// <summary>The next <paramref name="floats"/> of the allocation, 64-byte aligned.</summary>
    private float* Take(float* memory, long floats)
    {
        float* start = memory + _used;
        _used += (floats + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
        return start;
    }
}
