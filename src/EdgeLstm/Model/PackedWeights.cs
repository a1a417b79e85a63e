using EdgeLstm.Kernels;
using EdgeLstm.Memory;
using EdgeLstm.Simd;

namespace EdgeLstm.Model;

/// <summary>
/// The weights laid out the way the matrix kernels stream them: W_ihᵀ [I×4H], W_hhᵀ [H×4H] and fc.weightᵀ [H×C], plus
/// the two LSTM biases summed once. Rebuilt after every optimiser step (a few hundred thousand floats: about a
/// millisecond, against a training iteration of tens).
/// </summary>
internal sealed unsafe class PackedWeights
{
    private readonly AlignedBuffer[] _inputT;
    private readonly AlignedBuffer[] _recurrentT;
    private readonly AlignedBuffer[] _bias;
    private readonly AlignedBuffer[]? _inputPanels;
    private readonly AlignedBuffer[]? _recurrentPanels;
    private readonly int _columns;
    private readonly AlignedBuffer _fcT;

    public PackedWeights(LstmModel model)
    {
        var config = model.Config;
        int h4 = 4 * config.HiddenSize;
        _inputT = new AlignedBuffer[config.Layers];
        _recurrentT = new AlignedBuffer[config.Layers];
        _bias = new AlignedBuffer[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            _inputT[l] = new AlignedBuffer(config.LayerInputSize(l) * h4);
            _recurrentT[l] = new AlignedBuffer(config.HiddenSize * h4);
            _bias[l] = new AlignedBuffer(h4);
        }

        _fcT = new AlignedBuffer(config.HiddenSize * config.Classes);
        _columns = h4;
        if (h4 % WeightPanels.Width == 0)
        {
            _inputPanels = new AlignedBuffer[config.Layers];
            _recurrentPanels = new AlignedBuffer[config.Layers];
            for (int l = 0; l < config.Layers; l++)
            {
                _inputPanels[l] = new AlignedBuffer(config.LayerInputSize(l) * h4);
                _recurrentPanels[l] = new AlignedBuffer(config.HiddenSize * h4);
            }
        }
    }

    /// <summary>W_ihᵀ of a layer in the form the kernels at <paramref name="width"/> read fastest.</summary>
    public (MatMulForm Form, nint Weights) Input(int layer, SimdWidth width)
        => _inputPanels is not null && WeightPanels.Usable(_columns, width)
            ? (MatMulForm.ABPanels, (nint)_inputPanels[layer].Pointer)
            : (MatMulForm.AB, (nint)_inputT[layer].Pointer);

    /// <summary>W_hhᵀ of a layer in the form the kernels at <paramref name="width"/> read fastest.</summary>
    public (MatMulForm Form, nint Weights) Recurrent(int layer, SimdWidth width)
        => _recurrentPanels is not null && WeightPanels.Usable(_columns, width)
            ? (MatMulForm.ABPanels, (nint)_recurrentPanels[layer].Pointer)
            : (MatMulForm.AB, (nint)_recurrentT[layer].Pointer);

    /// <summary>The parameter version these copies were made from (0: never).</summary>
    public long Version { get; private set; }

    public float* Bias(int layer) => _bias[layer].Pointer;

    public float* FcT => _fcT.Pointer;

    public void Repack(LstmModel model, long version)
    {
        var config = model.Config;
        int h = config.HiddenSize;
        var p = model.Parameters;
        int h4 = 4 * h;
        for (int l = 0; l < config.Layers; l++)
        {
            // Offsets, not names: this runs after every optimiser step and must not allocate.
            var o = model.LayerOffsets[l];
            int inputs = config.LayerInputSize(l);
            Transpose(p.Slice(o.WeightIh, h4 * inputs), h4, inputs, _inputT[l].Span);
            Transpose(p.Slice(o.WeightHh, h4 * h), h4, h, _recurrentT[l].Span);
            System.Numerics.Tensors.TensorPrimitives.Add(p.Slice(o.BiasIh, h4), p.Slice(o.BiasHh, h4), _bias[l].Span);
            if (_inputPanels is not null)
            {
                WeightPanels.Pack(_inputT[l].Span, inputs, h4, _inputPanels[l].Span);
                WeightPanels.Pack(_recurrentT[l].Span, h, h4, _recurrentPanels![l].Span);
            }
        }

        Transpose(p.Slice(model.FcWeightOffset, config.Classes * h), config.Classes, h, _fcT.Span);
        Version = version;
    }

    private static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = source.Slice(r * cols, cols);
            for (int c = 0; c < cols; c++)
            {
                destination[(c * rows) + r] = row[c];
            }
        }
    }
}
