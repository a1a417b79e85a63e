using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using EdgeLstm.Kernels;
using EdgeLstm.Memory;
using EdgeLstm.Model;

namespace EdgeLstm.Engine;

/// <summary>
/// A model's weights laid out the way the matrix kernels stream them: per layer W_ihᵀ [I×G·H] and W_hhᵀ [H×G·H] (in
/// column panels when every layer's columns fill them, else row-major), the biases as the cell adds them, and the head's
/// Wᵀ [H×K]. Derived data: rebuilt after every optimiser step, straight from the model's W with blocked transposes, and
/// shared by every trainer, predictor and stream of the same model.
/// </summary>
internal sealed unsafe class PackedWeights
{
    private static readonly ConditionalWeakTable<LstmModel, PackedWeights> Cache = [];

    private readonly object _repackLock = new();
    private readonly AlignedBuffer[] _inputT;
    private readonly AlignedBuffer[] _recurrentT;
    private readonly AlignedBuffer[] _bias;
    private readonly int _panelWidth;
    private readonly NetworkDescription _network;
    private readonly AlignedBuffer _headT;
    private long _version;

    private PackedWeights(NetworkDescription network)
    {
        _network = network;
        int layers = network.Layers.Count;
        _inputT = new AlignedBuffer[layers];
        _recurrentT = new AlignedBuffer[layers];
        _bias = new AlignedBuffer[layers];
        Span<int> columnCounts = stackalloc int[layers];
        for (int l = 0; l < layers; l++)
        {
            var layer = network.Layers[l];
            int columns = layer.Gates * layer.HiddenSize;
            _inputT[l] = new AlignedBuffer(network.LayerInputSize(l) * columns);
            _recurrentT[l] = new AlignedBuffer(layer.HiddenSize * columns);
            _bias[l] = new AlignedBuffer(BiasLength(layer));
            columnCounts[l] = columns;
        }

        // One form per weight: the kernels of every width read panels of either width, so Wᵀ is kept row-major only
        // where some layer's columns do not fill whole panels (and every width then reads that).
        _panelWidth = WeightPanels.PreferredWidth(columnCounts);
        _headT = new AlignedBuffer(network.TopHidden * network.Outputs);
    }

    /// <summary>The packed weights of <paramref name="model"/>'s current parameters, rebuilt if they changed. Safe to call from many threads.</summary>
    public static PackedWeights Of(LstmModel model)
    {
        var packed = Cache.GetValue(model, m => new PackedWeights(m.Network));
        long version = model.ParameterVersion;
        if (Volatile.Read(ref packed._version) != version)
        {
            lock (packed._repackLock)
            {
                if (packed._version != version)
                {
                    packed.Repack(model);
                    Volatile.Write(ref packed._version, version);
                }
            }
        }

        return packed;
    }

    /// <summary>W_ihᵀ of a layer in the one form it is packed in (kernels of every width read it).</summary>
    public WeightMatrix Input(int layer) => Form(_inputT[layer], _network.LayerInputSize(layer), layer);

    /// <summary>W_hhᵀ of a layer in the one form it is packed in (kernels of every width read it).</summary>
    public WeightMatrix Recurrent(int layer) => Form(_recurrentT[layer], _network.Layers[layer].HiddenSize, layer);

    /// <summary>
    /// The bias the cell adds: b_ih + b_hh [4H] for an LSTM; for a GRU [b_ir+b_hr | b_iz+b_hz | b_in | b_hn] (4H), since
    /// b_hn sits inside the reset product and cannot be folded into b_in.
    /// </summary>
    public float* Bias(int layer) => _bias[layer].Pointer;

    /// <summary>The head's weightᵀ [H×K].</summary>
    public WeightMatrix Head => new(MatMulForm.AB, _headT.Pointer, _network.TopHidden, _network.Outputs);

    private static int BiasLength(RecurrentLayerDescription layer) => (layer.Cell == CellKind.Gru ? 4 : layer.Gates) * layer.HiddenSize;

    private WeightMatrix Form(AlignedBuffer packed, int rows, int layer)
    {
        int columns = _network.Layers[layer].Gates * _network.Layers[layer].HiddenSize;
        return _panelWidth > 0
            ? new WeightMatrix(MatMulForm.ABPanels, packed.Pointer, rows, columns, _panelWidth)
            : new WeightMatrix(MatMulForm.AB, packed.Pointer, rows, columns);
    }

    private void Repack(LstmModel model)
    {
        var p = model.Parameters;
        float* parameters = model.ParameterPointer;
        for (int l = 0; l < _network.Layers.Count; l++)
        {
            // Offsets, not names: this runs after every optimiser step and must not allocate.
            var o = model.LayerOffsets[l];
            var layer = _network.Layers[l];
            int columns = layer.Gates * layer.HiddenSize;
            Pack(parameters + o.WeightIh, columns, _network.LayerInputSize(l), _inputT[l].Pointer);
            Pack(parameters + o.WeightHh, columns, layer.HiddenSize, _recurrentT[l].Pointer);
            var bias = _bias[l].Span;
            if (layer.Cell == CellKind.Gru)
            {
                int h = layer.HiddenSize;
                TensorPrimitives.Add(p.Slice(o.BiasIh, 2 * h), p.Slice(o.BiasHh, 2 * h), bias[..(2 * h)]);
                p.Slice(o.BiasIh + (2 * h), h).CopyTo(bias.Slice(2 * h, h));
                p.Slice(o.BiasHh + (2 * h), h).CopyTo(bias.Slice(3 * h, h));
            }
            else
            {
                TensorPrimitives.Add(p.Slice(o.BiasIh, columns), p.Slice(o.BiasHh, columns), bias);
            }
        }

        MatrixTranspose.Transpose(parameters + model.FcWeightOffset, _network.Outputs, _network.TopHidden, _headT.Pointer);
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
