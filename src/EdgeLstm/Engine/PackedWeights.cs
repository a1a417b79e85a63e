using EdgeLstm.Kernels;
using EdgeLstm.Memory;
using EdgeLstm.Model;
using EdgeLstm.Simd;

namespace EdgeLstm.Engine;

/// <summary>
/// An fp32 model's weights laid out the way the matrix kernels stream them: per layer W_ihᵀ [I×G·H] and W_hhᵀ [H×G·H]
/// (in column panels when every layer's columns fill them, else row-major), and the head's Wᵀ [H×K]. Derived data:
/// rebuilt after every optimiser step, straight from the model's W with blocked transposes (see <see cref="EngineWeights"/>).
/// </summary>
internal sealed unsafe class PackedWeights : EngineWeights
{
    private readonly AlignedBuffer[] _inputT;
    private readonly AlignedBuffer[] _recurrentT;
    private readonly int _panelWidth;
    private readonly AlignedBuffer _headT;

    internal PackedWeights(NetworkDescription network)
        : base(network)
    {
        int layers = network.Layers.Count;
        _inputT = new AlignedBuffer[layers];
        _recurrentT = new AlignedBuffer[layers];
        Span<int> columnCounts = stackalloc int[layers];
        Span<int> hiddenSizes = stackalloc int[layers];
        for (int l = 0; l < layers; l++)
        {
            var layer = network.Layers[l];
            int columns = layer.Gates * layer.HiddenSize;
            _inputT[l] = new AlignedBuffer(network.LayerInputSize(l) * columns);
            _recurrentT[l] = new AlignedBuffer(layer.HiddenSize * columns);
            columnCounts[l] = columns;
            hiddenSizes[l] = layer.HiddenSize;
        }

        // One form per weight: the kernels of every width read panels of either width, so Wᵀ is kept row-major only
        // where some layer's columns do not fill whole panels (and every width then reads that).
        _panelWidth = WeightPanels.PreferredWidth(hiddenSizes, columnCounts);
        _headT = new AlignedBuffer(network.TopHidden * network.Outputs);
    }

    /// <summary>The head's weightᵀ [H×K].</summary>
    public override WeightMatrix Head => new(MatMulForm.AB, _headT.Pointer, Network.TopHidden, Network.Outputs);

    protected override long MatrixBytes => 4L * (_inputT.Sum(b => (long)b.Length) + _recurrentT.Sum(b => (long)b.Length) + _headT.Length);

    /// <summary>W_ihᵀ of a layer in the one form it is packed in (the kernels of every width read it).</summary>
    public override WeightMatrix Input(int layer, SimdWidth width) => Form(_inputT[layer], Network.LayerInputSize(layer), layer);

    /// <summary>W_hhᵀ of a layer in the one form it is packed in (the kernels of every width read it).</summary>
    public override WeightMatrix Recurrent(int layer, SimdWidth width) => Form(_recurrentT[layer], Network.Layers[layer].HiddenSize, layer);

    protected override void Repack(LstmModel model)
    {
        base.Repack(model);
        float* parameters = model.ParameterPointer;
        for (int l = 0; l < Network.Layers.Count; l++)
        {
            // Offsets, not names: this runs after every optimiser step and must not allocate.
            var o = model.LayerOffsets[l];
            var layer = Network.Layers[l];
            int columns = layer.Gates * layer.HiddenSize;
            Pack(parameters + o.WeightIh, columns, Network.LayerInputSize(l), _inputT[l].Pointer);
            Pack(parameters + o.WeightHh, columns, layer.HiddenSize, _recurrentT[l].Pointer);
        }

        MatrixTranspose.Transpose(parameters + model.FcWeightOffset, Network.Outputs, Network.TopHidden, _headT.Pointer);
    }

    private WeightMatrix Form(AlignedBuffer packed, int rows, int layer)
    {
        int columns = Network.Layers[layer].Gates * Network.Layers[layer].HiddenSize;
        return _panelWidth > 0
            ? new WeightMatrix(MatMulForm.ABPanels, packed.Pointer, rows, columns, _panelWidth)
            : new WeightMatrix(MatMulForm.AB, packed.Pointer, rows, columns);
    }

    /// <summary>W [n×k] as the model stores it into this object's form of Wᵀ: panels, or row-major.</summary>
    private void Pack(float* weight, int n, int k, float* destination)
    {
        if (_panelWidth > 0)
        {
            WeightPanels.PackTransposed(weight, n, k, _panelWidth, destination, 0, n / _panelWidth);
        }
        else
        {
            MatrixTranspose.Transpose(weight, n, k, destination);
        }
    }
}
