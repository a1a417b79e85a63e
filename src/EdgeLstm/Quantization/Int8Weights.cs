using EdgeLstm.Model;

namespace EdgeLstm.Quantization;

/// <summary>
/// The int8 form of a model's weight matrices: one <see cref="Int8Matrix"/> (per-row scales) for each recurrent
/// layer's <c>weight_ih</c> and <c>weight_hh</c> and for the head's <c>fc.weight</c>, under the model's tensor names.
/// Biases stay fp32. A model that carries these (<see cref="LstmModel.Int8Weights"/>) keeps the dequantised values in
/// its fp32 parameters too, so every fp32 reader (training refuses it, export and the reference paths do not) sees the
/// same numbers the int8 kernels compute with.
/// </summary>
public sealed class Int8Weights
{
    private readonly Dictionary<string, Int8Matrix> _matrices;

    /// <summary>Wraps the matrices; <paramref name="matrices"/> must hold a matrix for each of the model's <see cref="WeightTensors"/>.</summary>
    public Int8Weights(IReadOnlyDictionary<string, Int8Matrix> matrices)
    {
        ArgumentNullException.ThrowIfNull(matrices);
        _matrices = new Dictionary<string, Int8Matrix>(matrices, StringComparer.Ordinal);
    }

    /// <summary>The quantised weight called <paramref name="name"/> (a tensor name of the model).</summary>
    public Int8Matrix this[string name] => _matrices.TryGetValue(name, out var m)
        ? m
        : throw new KeyNotFoundException($"No int8 weight named '{name}'.");

    /// <summary>The names of the quantised weights.</summary>
    public IEnumerable<string> Names => _matrices.Keys;

    /// <summary>Bytes of the int8 values and their fp32 scales together.</summary>
    public long WeightBytes => _matrices.Values.Sum(m => m.WeightBytes);

    /// <summary>
    /// Quantises every weight matrix of the fp32 <paramref name="model"/> per row (<see cref="Int8Quantizer"/>) and
    /// returns the model that runs with them (<see cref="LstmModel.WithInt8Weights"/>).
    /// </summary>
    public static LstmModel Quantize(LstmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Int8Weights is not null)
        {
            throw new ArgumentException("The model's weights are int8 already.", nameof(model));
        }

        var matrices = new Dictionary<string, Int8Matrix>(StringComparer.Ordinal);
        foreach (var tensor in WeightTensors(model))
        {
            matrices[tensor.Name] = Int8Quantizer.Quantize(model.TensorData(tensor), tensor.Shape[0], tensor.Shape[1]);
        }

        return model.WithInt8Weights(new Int8Weights(matrices));
    }

    /// <summary>The tensors of <paramref name="model"/> that are quantised: every 2-D weight (biases stay fp32).</summary>
    public static IEnumerable<ParameterTensor> WeightTensors(LstmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Tensors.Where(t => IsQuantised(t.Shape));
    }

    /// <summary>True for a tensor of this shape that is quantised: a 2-D weight matrix (biases are 1-D).</summary>
    internal static bool IsQuantised(int[] shape) => shape.Length == 2;
}
