using System.Text.Json.Nodes;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Quantization;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>
/// Whole int8 model files (format_version 3) through <see cref="ModelFile.Load(string)"/> and from bytes, as the CLI and
/// the C ABI load them: the safetensors mutations, <see cref="Int8Mutations"/> on every weight, the scale tensors
/// removed, and the metadata that says what the file is (version, weight_dtype, quantization, kind) changed.
/// </summary>
internal sealed class Int8ModelFileTarget : FuzzTarget
{
    private static readonly LstmConfig Lstm = new(3, 4, 2, 3, 5);
    private static readonly LstmConfig Gru = new LstmConfig(4, 3, 1, 2, 6) with { Cell = CellKind.Gru, Head = HeadKind.RegressEveryStep };

    /// <summary>The weights of both seeds; a mutation picking one the seed lacks leaves that seed as it is.</summary>
    private static readonly string[] Weights = ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l1", "lstm.weight_hh_l1", "gru.weight_ih_l0", "gru.weight_hh_l0", "fc.weight"];

    private static readonly (string Key, string?[] Values)[] MetadataEdits =
    [
        (ModelFile.FormatVersionKey, ["1", "2", "3", "4", "0"]),
        (Int8ModelFile.WeightDTypeKey, [null, "float32", "int4", "INT8", "int8 ", string.Empty]),
        (Int8ModelFile.QuantizationKey, [null, "symmetric_per_tensor", "asymmetric_per_row", string.Empty]),
        (ModelFile.KindKey, ["checkpoint", "model", "optimizer"]),
        (ModelFile.FormatKey, [null, "pt"]),
    ];

    public override string Name => "int8 model file";

    public override Type FormatException => typeof(ModelFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; } =
    [
        ModelFile.ToBytes(Int8Weights.Quantize(LstmModel.Create(Lstm, 1)), new Dictionary<string, string> { ["train.seed"] = "1" }),
        ModelFile.ToBytes(Int8Weights.Quantize(LstmModel.Create(Gru, 2))),
    ];

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured { get; } =
    [
        .. SafeTensorsMutations.All,
        .. Int8Mutations.For(Weights),
        ("int8 scales removed", RemoveScale),
        ("int8 file metadata", EditMetadata),
    ];

    public override void Load(byte[] input, LoadRoute route, string path) => ModelFileTarget.LoadModel(input, route, path);

    /// <summary>One weight's scales taken out of the header (their bytes stay, now a hole in the data).</summary>
    private static byte[] RemoveScale(byte[] file, Random random) => SafeTensorsMutations.EditJson(file, random, (h, r) =>
    {
        string[] scales = [.. h.Select(p => p.Key).Where(k => k.EndsWith(Int8Tensors.ScaleSuffix, StringComparison.Ordinal))];
        h.Remove(scales[r.Next(scales.Length)]);
    });

    private static byte[] EditMetadata(byte[] file, Random random) => SafeTensorsMutations.EditJson(file, random, (h, r) =>
    {
        var metadata = h["__metadata__"]!.AsObject();
        var (key, values) = MetadataEdits[r.Next(MetadataEdits.Length)];
        string? value = values[r.Next(values.Length)];
        if (value is null)
        {
            metadata.Remove(key);
        }
        else
        {
            metadata[key] = JsonValue.Create(value);
        }
    });
}
