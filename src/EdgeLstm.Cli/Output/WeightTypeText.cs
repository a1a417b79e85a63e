using System.Globalization;
using EdgeLstm.Model;

namespace EdgeLstm.Cli.Output;

/// <summary>How a model's weights are stored, in words: the one phrasing <c>info</c>, <c>inspect</c> and <c>quantize</c> print.</summary>
internal static class WeightTypeText
{
    /// <summary>The quantisation scheme, as the int8 file's metadata names it and as a reader would want it explained.</summary>
    public const string Scheme = Quantization.Int8ModelFile.SymmetricPerRow + " (int8 values in -127..127, one fp32 scale per output row, zero point 0; biases stay fp32)";

    /// <summary>"fp32 (N bytes of weights)" or "int8, symmetric_per_row (…): M matrices, N bytes of values and scales".</summary>
    public static string Describe(LstmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Int8Weights is not { } int8)
        {
            return string.Create(CultureInfo.InvariantCulture, $"fp32 ({(long)model.Parameters.Length * sizeof(float):N0} bytes of parameters)");
        }

        return string.Create(CultureInfo.InvariantCulture, $"int8, {Scheme}: {int8.Names.Count()} matrices, {int8.WeightBytes:N0} bytes of values and scales");
    }
}
