using EdgeLstm.Memory;

namespace EdgeLstm.Model;

/// <summary>
/// A stacked recurrent classifier's parameters: one flat float buffer holding, per layer, PyTorch's <c>nn.LSTM</c>
/// tensors (<c>lstm.weight_ih_lN</c> [4H×I], <c>weight_hh</c> [4H×H], <c>bias_ih</c> [4H], <c>bias_hh</c> [4H], gates in
/// the order i, f, g, o) or <c>nn.GRU</c>'s (<c>gru.…</c>, 3H rows, gates r, z, n), then <c>nn.Linear</c>'s
/// <c>fc.weight</c> [C×H] and <c>fc.bias</c> [C].
/// </summary>
/// <remarks>
/// The model is data only: how the engine lays the weights out for its kernels is the engine's business
/// (<c>Engine/EngineWeights</c>), rebuilt lazily after <see cref="MarkParametersChanged"/>.
/// </remarks>
public sealed unsafe class LstmModel
{
    private readonly AlignedBuffer _parameters;
    private readonly ParameterTensor[] _tensors;
    private readonly Dictionary<string, ParameterTensor> _byName;
    private long _version = 1;

    private LstmModel(LstmConfig config)
    {
        config.Validate();
        Config = config;
        Network = NetworkDescription.Of(config);
        var tensors = new List<ParameterTensor>();
        int offset = 0;
        void Add(string name, params int[] shape)
        {
            var t = new ParameterTensor(name, shape, offset);
            tensors.Add(t);
            offset = checked(offset + t.Length);
        }

        int gates = config.Gates * config.HiddenSize;
        string module = config.RecurrentModule;
        for (int l = 0; l < config.Layers; l++)
        {
            Add($"{module}.weight_ih_l{l}", gates, config.LayerInputSize(l));
            Add($"{module}.weight_hh_l{l}", gates, config.HiddenSize);
            Add($"{module}.bias_ih_l{l}", gates);
            Add($"{module}.bias_hh_l{l}", gates);
        }

        Add("fc.weight", config.Classes, config.HiddenSize);
        Add("fc.bias", config.Classes);
        _tensors = [.. tensors];
        _byName = _tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _parameters = new AlignedBuffer(offset);

        // Offsets by layer, so the training loop never formats a tensor name (that would allocate on the hot path).
        LayerOffsets = new (int, int, int, int)[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            LayerOffsets[l] = (Offset($"{module}.weight_ih_l{l}"), Offset($"{module}.weight_hh_l{l}"), Offset($"{module}.bias_ih_l{l}"), Offset($"{module}.bias_hh_l{l}"));
        }

        FcWeightOffset = Offset("fc.weight");
        FcBiasOffset = Offset("fc.bias");
    }

    /// <summary>Where each layer's weight_ih, weight_hh, bias_ih and bias_hh start in <see cref="Parameters"/>.</summary>
    internal (int WeightIh, int WeightHh, int BiasIh, int BiasHh)[] LayerOffsets { get; }

    internal int FcWeightOffset { get; }

    internal int FcBiasOffset { get; }

    /// <summary>The architecture.</summary>
    public LstmConfig Config { get; }

    /// <summary>The architecture as the engine runs it: the layer stack and the head.</summary>
    public NetworkDescription Network { get; }

    /// <summary>Every parameter, in the order of <see cref="Tensors"/>. Call <see cref="MarkParametersChanged"/> after writing.</summary>
    public Span<float> Parameters => _parameters.Span;

    /// <summary>The named tensors, in buffer order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => _tensors;

    internal float* ParameterPointer => _parameters.Pointer;

    /// <summary>A model with every parameter zero, to be filled (e.g. by a loader).</summary>
    public static LstmModel CreateEmpty(LstmConfig config) => new(config);

    /// <summary>
    /// A freshly initialised model, as the reference recipe's TF1 graph initialises it: LSTM weights Glorot-uniform over
    /// the combined [I+H, 4H] kernel, biases 0 but the forget gate's 1.0 (TF1's <c>forget_bias</c>, folded into
    /// <c>bias_ih</c>), dense weights truncated normal with σ = 0.1 and dense biases 0.1. A GRU's weights are
    /// Glorot-uniform over its [I+H, 3H] kernel and its biases 0.
    /// </summary>
    public static LstmModel Create(LstmConfig config, ulong seed)
    {
        var model = new LstmModel(config);
        var rng = new SeededRandom(seed);
        int h = config.HiddenSize;
        string module = config.RecurrentModule;
        for (int l = 0; l < config.Layers; l++)
        {
            float limit = MathF.Sqrt(6f / (config.LayerInputSize(l) + h + (config.Gates * h)));
            foreach (var name in new[] { $"{module}.weight_ih_l{l}", $"{module}.weight_hh_l{l}" })
            {
                var w = model.TensorData(name);
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = ((2f * rng.NextSingle()) - 1f) * limit;
                }
            }

            if (config.Cell == CellKind.Lstm)
            {
                model.TensorData($"lstm.bias_ih_l{l}").Slice(h, h).Fill(1f);
            }
        }

        var fcWeight = model.TensorData("fc.weight");
        for (int i = 0; i < fcWeight.Length; i++)
        {
            double x;
            do
            {
                x = rng.NextGaussian();
            }
            while (Math.Abs(x) > 2.0);
            fcWeight[i] = (float)(0.1 * x);
        }

        model.TensorData("fc.bias").Fill(0.1f);
        return model;
    }

    /// <summary>The tensor called <paramref name="name"/>, or an exception naming what exists.</summary>
    public ParameterTensor Tensor(string name) => _byName.TryGetValue(name, out var t)
        ? t
        : throw new KeyNotFoundException($"The model has no tensor '{name}'; it has {string.Join(", ", _byName.Keys)}.");

    /// <summary>True when the model has a tensor of that name.</summary>
    public bool HasTensor(string name) => _byName.ContainsKey(name);

    /// <summary>The elements of a tensor, in place.</summary>
    public Span<float> TensorData(string name) => TensorData(Tensor(name));

    /// <summary>The elements of a tensor, in place.</summary>
    public Span<float> TensorData(ParameterTensor tensor) => Parameters.Slice(tensor.Offset, tensor.Length);

    /// <summary>Says that <see cref="Parameters"/> were written, so the packed copies the kernels use are rebuilt.</summary>
    public void MarkParametersChanged() => Interlocked.Increment(ref _version);

    /// <summary>
    /// The int8 weights this model runs with, or null for an fp32 model. When set, <see cref="Parameters"/> hold their
    /// dequantised values (see <see cref="Quantization.Int8Weights"/>).
    /// </summary>
    public Quantization.Int8Weights? Int8Weights { get; private set; }

    /// <summary>A deep copy (the int8 weights, which are immutable, are shared).</summary>
    public LstmModel Clone()
    {
        var copy = new LstmModel(Config);
        Parameters.CopyTo(copy.Parameters);
        copy.Int8Weights = Int8Weights;
        copy._preprocessing = _preprocessing;
        return copy;
    }

    /// <summary>
    /// A copy of this model that runs with <paramref name="weights"/>; its fp32 parameters are the biases of this model
    /// and the dequantised weights. The matrices' names and shapes must be this model's weight tensors.
    /// </summary>
    public LstmModel WithInt8Weights(Quantization.Int8Weights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var copy = Clone();
        copy.UseInt8Weights(weights);
        return copy;
    }

    /// <summary>
    /// Makes this model run with <paramref name="weights"/>, in place: their dequantised values overwrite its fp32
    /// weights (the biases stay). Only for a model no engine has seen yet (a copy just made, a model being loaded):
    /// the engine takes a model's weight type as fixed.
    /// </summary>
    internal void UseInt8Weights(Quantization.Int8Weights weights)
    {
        foreach (var tensor in Quantization.Int8Weights.WeightTensors(this))
        {
            var matrix = weights[tensor.Name];
            if (matrix.Rows != tensor.Shape[0] || matrix.Cols != tensor.Shape[1])
            {
                throw new ArgumentException($"Int8 weight {tensor.Name} is [{matrix.Rows}, {matrix.Cols}]; the model needs [{tensor.Shape[0]}, {tensor.Shape[1]}].", nameof(weights));
            }

            var data = TensorData(tensor);
            var values = matrix.Values;
            var scales = matrix.Scales;
            for (int r = 0; r < matrix.Rows; r++)
            {
                for (int c = 0; c < matrix.Cols; c++)
                {
                    data[(r * matrix.Cols) + c] = values[(r * matrix.Cols) + c] * scales[r];
                }
            }
        }

        Int8Weights = weights;
        MarkParametersChanged();
    }

    internal int Offset(string name) => Tensor(name).Offset;

    private Preprocessing? _preprocessing;

    /// <summary>
    /// What raw readings go through before the network and outputs after it (normalisation, target scaling, class
    /// names, a forecast window), or null for none: the predictor and the stream apply it. Set it before a predictor or
    /// stream is created; it is checked against <see cref="Config"/> (an <see cref="ArgumentException"/> if it does not fit).
    /// </summary>
    public Preprocessing? Preprocessing
    {
        get => _preprocessing;
        set
        {
            value?.Validate(Config);
            _preprocessing = value;
        }
    }

    /// <summary>
    /// Changes each time <see cref="MarkParametersChanged"/> is called: copies derived from the parameters (the
    /// engine's packed weights) compare it with the version they were made from.
    /// </summary>
    internal long ParameterVersion => Interlocked.Read(ref _version);
}
