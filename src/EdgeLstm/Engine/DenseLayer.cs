using System.Numerics.Tensors;
using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>The classifier's final dense layer on any rows of top-layer outputs: logits = h·fc.weightᵀ + fc.bias.</summary>
internal static unsafe class DenseLayer
{
    /// <param name="hidden">[rows×H] top-layer outputs.</param>
    /// <param name="logits">[rows×C], overwritten.</param>
    public static void Forward(LstmModel model, PackedWeights packed, float* hidden, int rows, float* logits, WorkerPool? pool, SimdWidth width)
    {
        var config = model.Config;
        int classes = config.Classes;
        MatMul.Run(pool, MatMulForm.AB, hidden, config.HiddenSize, packed.FcT, classes, logits, classes, rows, classes, config.HiddenSize, false, width);
        var bias = model.Parameters.Slice(model.FcBiasOffset, classes);
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(logits + ((long)r * classes), classes);
            TensorPrimitives.Add(row, bias, row);
        }
    }
}
