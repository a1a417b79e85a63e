using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Simd;

namespace EdgeLstm.Engine;

/// <summary>
/// The weights of a model that carries int8 ones (<see cref="LstmModel.Int8Weights"/>), in the panel layout the int8
/// kernels read: per layer W_ih [G·H × I] and W_hh [G·H × H], and the head's W [K × H]; the biases stay fp32 (see
/// <see cref="EngineWeights"/>). No fp32 weight matrix is built. Packed once per model: an int8 model's weights never
/// change (training refuses it).
/// </summary>
internal sealed class Int8PackedWeights : EngineWeights
{
    private readonly Int8PanelMatrix[] _input;
    private readonly Int8PanelMatrix[] _recurrent;
    private readonly Int8PanelMatrix _head;

    internal Int8PackedWeights(LstmModel model, Quantization.Int8Weights weights)
        : base(model.Network)
    {
        int layers = model.Network.Layers.Count;
        _input = new Int8PanelMatrix[layers];
        _recurrent = new Int8PanelMatrix[layers];
        for (int l = 0; l < layers; l++)
        {
            _input[l] = new Int8PanelMatrix(weights[NameAt(model, model.LayerOffsets[l].WeightIh)]);
            _recurrent[l] = new Int8PanelMatrix(weights[NameAt(model, model.LayerOffsets[l].WeightHh)]);
        }

        _head = new Int8PanelMatrix(weights[NameAt(model, model.FcWeightOffset)]);
    }

    /// <summary>The head's weight.</summary>
    public override WeightMatrix Head => Matrix(_head);

    protected override long MatrixBytes => _input.Sum(m => m.Bytes) + _recurrent.Sum(m => m.Bytes) + _head.Bytes;

    /// <summary>W_ih of a layer, as the product with the layer's input reads it (one layout at every width).</summary>
    public override WeightMatrix Input(int layer, SimdWidth width) => Matrix(_input[layer]);

    /// <summary>W_hh of a layer.</summary>
    public override WeightMatrix Recurrent(int layer, SimdWidth width) => Matrix(_recurrent[layer]);

    /// <summary>A product's depth is the int8 matrix's columns, its width the matrix's rows (W is not transposed here).</summary>
    private static unsafe WeightMatrix Matrix(Int8PanelMatrix m) => new(MatMulForm.AB, null, m.Cols, m.Rows) { Int8 = m };

    private static string NameAt(LstmModel model, int offset) => model.Tensors.First(t => t.Offset == offset).Name;
}
