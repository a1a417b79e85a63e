using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using EdgeLstm.Memory;
using EdgeLstm.Model;
using EdgeLstm.Simd;

namespace EdgeLstm.Engine;

/// <summary>
/// A model's weights as the engine's kernels read them, derived from the model and shared by every trainer, predictor
/// and stream of it. The model's weight type picks the kind (<see cref="Of"/>): fp32 (<see cref="PackedWeights"/>),
/// or int8 (<see cref="Int8PackedWeights"/>) for a model that carries int8 weights, which then holds no fp32 copy of
/// its weight matrices (a small board has the memory for one or the other). The matrices then pick their own kernels
/// (<see cref="Kernels.MatMulJob"/>). Either kind keeps here the fp32 biases the cells add, rebuilt when the
/// parameters change.
/// </summary>
internal abstract unsafe class EngineWeights
{
    private static readonly ConditionalWeakTable<LstmModel, EngineWeights> Cache = [];

    private readonly object _repackLock = new();
    private readonly AlignedBuffer[] _bias;
    private long _version;

    protected EngineWeights(NetworkDescription network)
    {
        Network = network;
        _bias = [.. network.Layers.Select(layer => new AlignedBuffer(BiasLength(layer)))];
    }

    protected NetworkDescription Network { get; }

    /// <summary>
    /// Bytes the kernels' weights take here: matrices, their scales and the biases. The memory an engine adds to its
    /// model's, whichever of its predictors and streams read it.
    /// </summary>
    public long Bytes => MatrixBytes + _bias.Sum(b => 4L * b.Length);

    /// <summary>The head's Wᵀ [H×K].</summary>
    public abstract WeightMatrix Head { get; }

    /// <summary>Bytes of the weight matrices and what the kernels keep with them.</summary>
    protected abstract long MatrixBytes { get; }

    /// <summary>The weights of <paramref name="model"/>'s current parameters, built on first use and rebuilt if they changed. Safe to call from many threads.</summary>
    public static EngineWeights Of(LstmModel model)
    {
        // A static lambda: a capturing one would allocate its closure on every call, the hot path included. GetValue
        // looks the model up before it calls it; a model's weight type never changes (only a new model has int8 ones).
        var weights = Cache.GetValue(model, static m => m.Int8Weights is { } int8 ? new Int8PackedWeights(m, int8) : new PackedWeights(m.Network));
        long version = model.ParameterVersion;
        if (Volatile.Read(ref weights._version) != version)
        {
            lock (weights._repackLock)
            {
                if (weights._version != version)
                {
                    weights.Repack(model);
                    Volatile.Write(ref weights._version, version);
                }
            }
        }

        return weights;
    }

    /// <summary>W_ihᵀ of a layer in the form the kernels at <paramref name="width"/> read fastest.</summary>
    public abstract WeightMatrix Input(int layer, SimdWidth width);

    /// <summary>W_hhᵀ of a layer in the form the kernels at <paramref name="width"/> read fastest.</summary>
    public abstract WeightMatrix Recurrent(int layer, SimdWidth width);

    /// <summary>
    /// The bias the cell adds: b_ih + b_hh [4H] for an LSTM; for a GRU [b_ir+b_hr | b_iz+b_hz | b_in | b_hn] (4H), since
    /// b_hn sits inside the reset product and cannot be folded into b_in.
    /// </summary>
    public float* Bias(int layer) => _bias[layer].Pointer;

    /// <summary>Rebuilds what derives from the parameters: the biases here, and whatever a kind derives besides. Must not allocate (it runs after every optimiser step).</summary>
    protected virtual void Repack(LstmModel model)
    {
        var p = model.Parameters;
        for (int l = 0; l < Network.Layers.Count; l++)
        {
            // Offsets, not names: no string is formatted here.
            var o = model.LayerOffsets[l];
            var layer = Network.Layers[l];
            var bias = _bias[l].Span;
            int columns = layer.Gates * layer.HiddenSize;
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
    }

    private static int BiasLength(RecurrentLayerDescription layer) => (layer.Cell == CellKind.Gru ? 4 : layer.Gates) * layer.HiddenSize;
}
