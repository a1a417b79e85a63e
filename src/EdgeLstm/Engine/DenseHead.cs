using System.Numerics.Tensors;
using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>
/// The dense layer on top of the recurrent stack, forward and backward side by side: y = h·Wᵀ + b on any rows of
/// top-layer outputs (the last step of each sample, or every step).
/// </summary>
internal static unsafe class DenseHead
{
    /// <param name="weightT">Wᵀ [H×K].</param>
    /// <param name="hidden">[rows×H] top-layer outputs.</param>
    /// <param name="outputs">[rows×K], overwritten.</param>
    public static void Forward(ComputeContext context, WeightMatrix weightT, ReadOnlySpan<float> bias, float* hidden, int rows, float* outputs)
    {
        int k = weightT.Columns;
        context.Product(hidden, weightT.Rows, weightT, outputs, rows, accumulate: false);
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(outputs + ((long)r * k), k);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>
    /// From ∂loss/∂y [rows×K]: ∂loss/∂W [K×H] and ∂loss/∂b [K] (both overwritten) and ∂loss/∂h [rows×H] (overwritten).
    /// </summary>
    /// <param name="weight">W row-major [K×H], as the model stores it.</param>
    public static void Backward(ComputeContext context, float* dOutputs, float* hidden, int rows, float* weight, int hiddenSize, int outputs, float* dWeight, Span<float> dBias, float* dHidden)
    {
        context.Product(MatMulForm.AtB, dOutputs, outputs, hidden, hiddenSize, dWeight, hiddenSize, outputs, hiddenSize, rows, false);
        RowSum.Of(dOutputs, rows, dBias);
        context.Product(MatMulForm.AB, dOutputs, outputs, weight, hiddenSize, dHidden, hiddenSize, rows, hiddenSize, outputs, false);
    }
}
