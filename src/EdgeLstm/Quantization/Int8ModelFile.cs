using EdgeLstm.IO;
using EdgeLstm.Model;

namespace EdgeLstm.Quantization;

/// <summary>
/// The int8 part of the model file (<see cref="ModelFile"/> calls it): a model that carries <see cref="Int8Weights"/>
/// is written as <c>format_version</c> 3, each weight matrix as an I8 tensor plus its F32 <c>.scale</c> tensor
/// (<see cref="Int8Tensors"/>), biases as F32, and <c>__metadata__</c> saying <c>weight_dtype</c> = <c>int8</c> and
/// <c>quantization</c> = <c>symmetric_per_row</c>. The version and the metadata must agree: a version-3 file without
/// them, or an fp32 file (version 1 or 2, or no EdgeLstm metadata) with an I8 tensor or an int8 <c>weight_dtype</c>,
/// is refused, so one file can never be read as two different models.
/// </summary>
public static class Int8ModelFile
{
    /// <summary>The format version of files with int8 weights.</summary>
    public const int Version = 3;

    /// <summary>Metadata key: the element type of the weight matrices.</summary>
    public const string WeightDTypeKey = "weight_dtype";

    /// <summary>Metadata key: how the weights were quantised.</summary>
    public const string QuantizationKey = "quantization";

    /// <summary>The value of <see cref="WeightDTypeKey"/> in an int8 file.</summary>
    public const string Int8 = "int8";

    /// <summary>The value of <see cref="WeightDTypeKey"/> an fp32 file may carry (it may also leave the key out).</summary>
    public const string Float32 = "float32";

    /// <summary>The value of <see cref="QuantizationKey"/>: one fp32 scale per output row, zero point 0 (<see cref="Int8Quantizer"/>).</summary>
    public const string SymmetricPerRow = "symmetric_per_row";

    /// <summary>Writes the scheme into the metadata of an int8 model's file.</summary>
    internal static void SetMetadata(SafeTensorsWriter writer)
    {
        writer.SetMetadata(WeightDTypeKey, Int8);
        writer.SetMetadata(QuantizationKey, SymmetricPerRow);
    }

    /// <summary>
    /// Whether the file holds int8 weights, after checking that its version, kind, metadata and tensor dtypes agree.
    /// <paramref name="version"/> is the file's format version, or null for a file without EdgeLstm metadata.
    /// </summary>
    internal static bool IsInt8(SafeTensorsReader reader, int? version)
    {
        var metadata = reader.Metadata;
        string? dtype = metadata.GetValueOrDefault(WeightDTypeKey);
        if (version == Version)
        {
            Require(reader, WeightDTypeKey, Int8, "format_version 3 is the int8 weight format");
            Require(reader, QuantizationKey, SymmetricPerRow, "the only scheme this version reads");
            string kind = metadata.GetValueOrDefault(ModelFile.KindKey, string.Empty);
            if (kind != "model")
            {
                throw Fail(reader, $"{SafeTensorsReader.MetadataKey}.{ModelFile.KindKey}", $"expected \"model\" (int8 weights are not trained, so there are no int8 checkpoints), found \"{ModelFile.Printable(kind)}\"");
            }

            return true;
        }

        string described = version is { } v ? $"a format_version {v} file" : "a file without EdgeLstm metadata";
        if (version is not null && dtype is not null && dtype != Float32)
        {
            throw Fail(reader, $"{SafeTensorsReader.MetadataKey}.{WeightDTypeKey}", $"expected \"{Float32}\" or no entry in {described} (int8 weights are format_version {Version}), found \"{ModelFile.Printable(dtype)}\"");
        }

        foreach (var entry in reader.Entries)
        {
            if (entry.DType != "F32")
            {
                throw Fail(reader, $"tensor {entry.Name}: dtype", $"expected F32 in {described} (int8 weights are format_version {Version}), found {entry.DType}");
            }
        }

        return false;
    }

    /// <summary>The names of the scale tensors an int8 file of these tensors holds beside them.</summary>
    internal static IEnumerable<string> ScaleNames(IEnumerable<(string Name, int[] Shape)> tensors)
        => tensors.Where(t => Int8Weights.IsQuantised(t.Shape)).Select(t => Int8Tensors.ScaleName(t.Name));

    /// <summary>
    /// Reads every weight matrix of <paramref name="model"/> (whose biases are already read) with its scales, checking
    /// each (<see cref="Int8Tensors.Read"/>), and makes the model run with them. In place: the loader's model is its
    /// own, so its parameters are not copied again (for the recipe's model that copy was 3.3 MB).
    /// </summary>
    internal static void ReadWeights(SafeTensorsReader reader, LstmModel model)
    {
        var matrices = new Dictionary<string, Int8Matrix>(StringComparer.Ordinal);
        foreach (var tensor in Int8Weights.WeightTensors(model))
        {
            matrices[tensor.Name] = Int8Tensors.Read(reader, tensor.Name);
        }

        model.UseInt8Weights(new Int8Weights(matrices));
    }

    private static void Require(SafeTensorsReader reader, string key, string value, string why)
    {
        string? found = reader.Metadata.GetValueOrDefault(key);
        if (found != value)
        {
            throw Fail(reader, $"{SafeTensorsReader.MetadataKey}.{key}", $"expected \"{value}\" ({why}), found {(found is null ? "it missing" : $"\"{ModelFile.Printable(found)}\"")}");
        }
    }

    private static ModelFormatException Fail(SafeTensorsReader reader, string field, string problem) => new(reader.Source, field, problem);
}
