namespace EdgeLstm.Model;

/// <summary>One recurrent layer of a network: its cell and its hidden size.</summary>
public readonly record struct RecurrentLayerDescription(CellKind Cell, int HiddenSize)
{
    /// <summary>Gate blocks in the layer's weights: 4 for an LSTM (i, f, g, o), 3 for a GRU (r, z, n).</summary>
    public int Gates => Cell == CellKind.Gru ? 3 : 4;
}

/// <summary>
/// What the engine runs: inputs per step, a stack of recurrent layers, and a dense head with <see cref="Outputs"/>
/// outputs. Everything the engine sizes (weights, activations, gradients) is derived from this.
/// </summary>
public sealed class NetworkDescription
{
    private readonly RecurrentLayerDescription[] _layers;

    /// <summary>Creates a description; the layers are copied.</summary>
    public NetworkDescription(int inputSize, IEnumerable<RecurrentLayerDescription> layers, HeadKind head, int outputs)
    {
        ArgumentNullException.ThrowIfNull(layers);
        InputSize = inputSize;
        _layers = [.. layers];
        Head = head;
        Outputs = outputs;
    }

    /// <summary>Features per time step.</summary>
    public int InputSize { get; }

    /// <summary>The recurrent layers, bottom first.</summary>
    public IReadOnlyList<RecurrentLayerDescription> Layers => _layers;

    /// <summary>What the head predicts.</summary>
    public HeadKind Head { get; }

    /// <summary>Classes or regression outputs of the head.</summary>
    public int Outputs { get; }

    /// <summary>True when the head reads every step, not only the last.</summary>
    public bool HeadReadsEveryStep => Head is HeadKind.ClassifyEveryStep or HeadKind.RegressEveryStep;

    /// <summary>True when the head outputs real values trained by mean squared error, not classes.</summary>
    public bool HeadRegresses => Head is HeadKind.RegressLastStep or HeadKind.RegressEveryStep;

    /// <summary>Hidden size of the top layer: the width the head reads.</summary>
    public int TopHidden => _layers[^1].HiddenSize;

    /// <summary>Inputs to layer <paramref name="layer"/>: the data for layer 0, the layer below's output otherwise.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : _layers[layer - 1].HiddenSize;

    /// <summary>The description of a model made from <paramref name="config"/>: a uniform stack and its head.</summary>
    public static NetworkDescription Of(LstmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new NetworkDescription(config.InputSize, Enumerable.Repeat(new RecurrentLayerDescription(config.Cell, config.HiddenSize), config.Layers), config.Head, config.Classes);
    }
}
