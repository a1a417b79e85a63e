using System.Runtime.CompilerServices;
using EdgeLstm.Kernels;
using EdgeLstm.Model;

namespace EdgeLstm.Engine;

/// <summary>
/// The int8 weight matrices of a model that carries them (<see cref="LstmModel.Int8Weights"/>), in the panel layout
/// the int8 kernels read: per layer W_ih [G·H × I] and W_hh [G·H × H], and the head's W [K × H]. The engine takes its
/// weight matrices from here instead of <see cref="PackedWeights"/> when the model is int8; the biases stay fp32 and
/// still come from there. Built once per model (an int8 model's weights never change: training refuses it) and
/// shared by every predictor and stream of it.
/// </summary>
internal sealed class Int8PackedWeights
{
    private static readonly ConditionalWeakTable<LstmModel, Int8PackedWeights> Cache = [];

    private readonly Int8PanelMatrix[] _input;
    private readonly Int8PanelMatrix[] _recurrent;
    private readonly Int8PanelMatrix _head;

    private Int8PackedWeights(LstmModel model, Quantization.Int8Weights weights)
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

    /// <summary>The int8 weights of <paramref name="model"/>, packed on first use; null for an fp32 model.</summary>
    public static Int8PackedWeights? Of(LstmModel model)
    {
        if (model.Int8Weights is null)
        {
            return null;
        }

        // A static lambda: a capturing one would allocate its closure on every call, the hot path included. GetValue
        // looks the model up before it calls it.
        return Cache.GetValue(model, static m => new Int8PackedWeights(m, m.Int8Weights!));
    }

    /// <summary>W_ih of a layer, as the product with the layer's input reads it.</summary>
    public WeightMatrix Input(int layer) => Matrix(_input[layer]);

    /// <summary>W_hh of a layer.</summary>
    public WeightMatrix Recurrent(int layer) => Matrix(_recurrent[layer]);

    /// <summary>The head's weight.</summary>
    public WeightMatrix Head => Matrix(_head);

    /// <summary>A product's depth is the int8 matrix's columns, its width the matrix's rows (W is not transposed here).</summary>
    private static unsafe WeightMatrix Matrix(Int8PanelMatrix m) => new(MatMulForm.AB, null, m.Cols, m.Rows) { Int8 = m };

    private static string NameAt(LstmModel model, int offset) => model.Tensors.First(t => t.Offset == offset).Name;
}
