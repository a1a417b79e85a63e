namespace EdgeLstm.Model;

/// <summary>
/// The largest sizes the library accepts, stated once. Every buffer the engine allocates is a product of these, and
/// the bounds are chosen so that no such product can pass <see cref="int.MaxValue"/> elements: with them, the int32
/// index arithmetic of the kernels is safe by construction, and a hostile file, checkpoint or C caller gets a clear
/// <see cref="ArgumentOutOfRangeException"/> naming the field, its value and the limit instead of an overflow or an
/// out-of-bounds write.
/// </summary>
/// <remarks>
/// The products are checked in <see langword="long"/> arithmetic, so a check itself cannot overflow. Limits are far
/// above anything an edge board runs (the reference model is 28 inputs, 2 × 256 hidden, 10 classes, 28 steps).
/// </remarks>
public static class ModelLimits
{
    /// <summary>Features per time step: 65536 (a 256×256 frame per step), far above any sensor or image row.</summary>
    public const int MaxInputSize = 65536;

    /// <summary>
    /// Units per LSTM layer: 8192. A layer of 8192 has 4·8192·8192 = 2^28 recurrent weights alone, so in practice
    /// <see cref="MaxParameters"/> binds first (one layer of 8175 units on 28 inputs and 10 classes is the largest such model).
    /// </summary>
    public const int MaxHiddenSize = 8192;

    /// <summary>Stacked layers: 64 (deeper LSTMs do not train without residual tricks the engine does not have).</summary>
    public const int MaxLayers = 64;

    /// <summary>
    /// Output classes: 4096. Per-class tables are proportional to it (the confusion matrix is classes² counters: 64 MiB
    /// at this limit), and batch × classes stays below 2^28.
    /// </summary>
    public const int MaxClasses = 4096;

    /// <summary>Time steps of one sequence: 65536.</summary>
    public const int MaxSteps = 65536;

    /// <summary>Sequences per batch: 65536.</summary>
    public const int MaxBatchSize = 65536;

    /// <summary>
    /// Parameters (floats) of a whole model: 2^28, 1 GiB of weights. Training holds about six copies (weights, gradients,
    /// two Adam moments, two packed copies), so this is also what keeps a model trainable on a 24 GB machine; every
    /// tensor, and every packed copy of one, is at most this many floats.
    /// </summary>
    public const long MaxParameters = 1L << 28;

    /// <summary>
    /// Floats in the largest single buffer one (batch, steps) shape needs: batch × steps × G·hidden (the gates of a
    /// layer: G = 4 for an LSTM, 3 for a GRU) and batch × steps × input. 2^30 floats is 4 GiB, and stays below <see cref="int.MaxValue"/> with room for
    /// the alignment padding, so no workspace index can overflow int32.
    /// </summary>
    public const long MaxActivationFloats = 1L << 30;

    /// <summary>
    /// The largest model or checkpoint file read (bytes): a checkpoint holds the weights and two Adam moments, 3 × 4 bytes
    /// × <see cref="MaxParameters"/>, plus a header of at most 100 MB. Streams without a length (pipes) are read up to it.
    /// </summary>
    public const long MaxModelFileBytes = (3 * 4 * MaxParameters) + 100_000_008;

    /// <summary>
    /// Parameters of <paramref name="config"/>: per layer G·H×(inputs + H) weights and two biases of G·H, with G the
    /// cell's gate blocks (4 for an LSTM, 3 for a GRU), then the head. In checked 64-bit arithmetic, so it is computable
    /// for sizes not yet validated (which is when it is needed): no int sizes can overflow it.
    /// </summary>
    public static long ParameterCount(LstmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        checked
        {
            long h = config.HiddenSize, gh = (long)config.Gates * h, layers = config.Layers;
            long inputWeights = (gh * config.InputSize) + ((layers - 1) * gh * h);
            long perLayer = (gh * h) + (2 * gh);
            return inputWeights + (layers * perLayer) + ((long)config.Classes * h) + config.Classes;
        }
    }

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the first field of <paramref name="config"/> out of its
    /// range, or the parameter count when the sizes together pass <see cref="MaxParameters"/>.
    /// </summary>
    public static void CheckConfig(LstmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Check(config.InputSize, nameof(config.InputSize), MaxInputSize);
        Check(config.HiddenSize, nameof(config.HiddenSize), MaxHiddenSize);
        Check(config.Layers, nameof(config.Layers), MaxLayers);
        Check(config.Classes, nameof(config.Classes), MaxClasses);
        Check(config.Steps, nameof(config.Steps), MaxSteps);
        long parameters = ParameterCount(config);
        if (parameters > MaxParameters)
        {
            throw new ArgumentOutOfRangeException(
                "Parameters",
                $"A model of {config.Layers} layer(s) of {config.HiddenSize} hidden units ({config.InputSize} inputs, {config.Classes} classes) has {parameters} parameters; at most {MaxParameters} (1 GiB of weights) are accepted.");
        }
    }

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> unless a batch of <paramref name="batch"/> sequences of
    /// <paramref name="steps"/> steps fits the limits for <paramref name="config"/>: batch and steps in range, and every
    /// workspace buffer at most <see cref="MaxActivationFloats"/>. Call it before any buffer of that shape is touched.
    /// </summary>
    public static void CheckBatch(LstmConfig config, long batch, long steps)
    {
        ArgumentNullException.ThrowIfNull(config);
        Check(batch, "BatchSize", MaxBatchSize);
        Check(steps, "Steps", MaxSteps);
        long rows = batch * steps;
        long widest = Widest(config);
        long floats = rows * widest;
        if (floats > MaxActivationFloats)
        {
            throw new ArgumentOutOfRangeException(
                "BatchSize",
                $"A batch of {batch} sequences × {steps} steps × {widest} ({config.Gates} × {config.HiddenSize} hidden or {config.InputSize} inputs) needs buffers of {floats} floats; at most {MaxActivationFloats} per buffer are accepted: use a smaller batch.");
        }
    }

    /// <summary>
    /// The most sequences of <paramref name="steps"/> steps one batch of <paramref name="config"/> may hold (what
    /// <see cref="CheckBatch"/> accepts); 0 when not even one fits, or the steps are out of range.
    /// </summary>
    public static int LargestBatch(LstmConfig config, long steps)
    {
        ArgumentNullException.ThrowIfNull(config);
        return steps is < 1 or > MaxSteps ? 0 : (int)Math.Min(MaxBatchSize, MaxActivationFloats / (steps * Widest(config)));
    }

    /// <summary>The widest row of a batch's buffers: a layer's gates (G·hidden) or the input.</summary>
    private static long Widest(LstmConfig config) => Math.Max((long)config.Gates * config.HiddenSize, config.InputSize);

    private static void Check(long value, string name, long max)
    {
        if (value < 1 || value > max)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} must be between 1 and {max}; it is {value}.");
        }
    }
}
