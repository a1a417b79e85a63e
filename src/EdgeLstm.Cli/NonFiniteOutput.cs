using System.Globalization;
using System.Numerics.Tensors;
using EdgeLstm.Model;

namespace EdgeLstm.Cli;

/// <summary>
/// Refuses to print results that are not numbers. A model file holds only finite weights (the loader checks), but
/// finite weights can still be so large (1e30) that the products overflow, and "probability NaN" is no answer.
/// </summary>
internal static class NonFiniteOutput
{
    public static void Check(ReadOnlySpan<float> values, string modelPath, LstmModel model, string what)
    {
        // MaxMagnitude is NaN or infinite exactly when one of the values is.
        if (values.Length > 0 && !float.IsFinite(TensorPrimitives.MaxMagnitude(values)))
        {
            Refuse(modelPath, model, what);
        }
    }

    /// <summary>Throws the error for <paramref name="what"/>, found not finite by the caller.</summary>
    public static void Refuse(string modelPath, LstmModel model, string what)
    {
        float largest = TensorPrimitives.MaxMagnitude(model.Parameters);
        throw new CliException(string.Create(CultureInfo.InvariantCulture, $"{modelPath}: {what} are not finite (NaN or infinity): the model's weights (the largest is {largest:G3} in magnitude) overflow float arithmetic. It cannot give an answer; retrain it or check where it came from."));
    }
}
