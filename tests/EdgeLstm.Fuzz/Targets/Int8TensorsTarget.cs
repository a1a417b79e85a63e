using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EdgeLstm.IO;
using EdgeLstm.Quantization;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>
/// Int8 weights (<see cref="Int8Tensors.Read"/> over a reader that accepts F32 and I8): the safetensors mutations, plus
/// edits of the scales (0, negative, non-finite, tiny), of the values (-128) and swaps of the I8 and F32 dtypes.
/// </summary>
internal sealed class Int8TensorsTarget : FuzzTarget
{
    private static readonly string[] Weights = ["lstm.weight_hh_l0", "fc.weight"];

    public override string Name => "int8 weights";

    public override Type FormatException => typeof(ModelFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; } = [Seed(3, 5, 1), Seed(8, 17, 2)];

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured { get; } =
    [
        .. SafeTensorsMutations.All,
        ("int8 scale edits", EditScale),
        ("int8 value -128", WriteMinusOneTwentyEight),
        ("int8 dtype swaps", SwapDType),
    ];

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        const SafeTensorsDTypes accepted = SafeTensorsDTypes.F32 | SafeTensorsDTypes.I8;
        if (route == LoadRoute.File)
        {
            File.WriteAllBytes(path, input);
        }

        using var reader = route == LoadRoute.File ? SafeTensorsReader.Open(path, accepted) : SafeTensorsReader.Open(input, "fuzz", accepted);
        foreach (string name in Weights)
        {
            Int8Tensors.Read(reader, name);
        }

        var bias = reader.Find("fc.bias") ?? throw new ModelFormatException("fuzz", "tensor fc.bias", "expected it, found it missing");
        reader.ReadInto(bias, new float[checked((int)bias.ElementCount)]);
    }

    private static byte[] Seed(int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var writer = new SafeTensorsWriter();
        writer.SetMetadata("quantization", "int8-symmetric-per-row");
        foreach (string name in Weights)
        {
            var w = new float[rows * cols];
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = i / cols == 1 ? 0 : (float)(random.NextDouble() - 0.5);
            }

            Int8Tensors.Add(writer, name, Int8Quantizer.Quantize(w, rows, cols));
        }

        writer.Add("fc.bias", [rows], new float[rows]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>The data byte range of a tensor, from the header.</summary>
    private static (int Begin, int End)? Range(byte[] file, string name)
    {
        var (header, _) = SafeTensorsMutations.Split(file);
        var offsets = JsonNode.Parse(header)![name]?["data_offsets"]?.AsArray();
        int dataStart = 8 + (int)BinaryPrimitives.ReadInt64LittleEndian(file);
        return offsets is null ? null : (dataStart + (int)offsets[0]!, dataStart + (int)offsets[1]!);
    }

    private static byte[] EditScale(byte[] file, Random random)
    {
        float[] values = [0, -0f, -1, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue];
        byte[] result = (byte[])file.Clone();
        if (Range(file, Int8Tensors.ScaleName(Weights[random.Next(Weights.Length)])) is { } range && range.End - range.Begin >= 4)
        {
            int at = range.Begin + (4 * random.Next((range.End - range.Begin) / 4));
            BinaryPrimitives.WriteSingleLittleEndian(result.AsSpan(at), values[random.Next(values.Length)]);
        }

        return result;
    }

    private static byte[] WriteMinusOneTwentyEight(byte[] file, Random random)
    {
        byte[] result = (byte[])file.Clone();
        if (Range(file, Weights[random.Next(Weights.Length)]) is { } range && range.End > range.Begin)
        {
            result[range.Begin + random.Next(range.End - range.Begin)] = 0x80;
        }

        return result;
    }

    private static byte[] SwapDType(byte[] file, Random random) => SafeTensorsMutations.EditJson(file, random, (h, r) =>
    {
        var tensor = h[r.Next(2) == 0 ? Weights[r.Next(Weights.Length)] : Int8Tensors.ScaleName(Weights[r.Next(Weights.Length)])]!.AsObject();
        tensor["dtype"] = (string?)tensor["dtype"] == "I8" ? "F32" : "I8";
    });
}
