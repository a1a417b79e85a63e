using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EdgeLstm.Quantization;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>
/// Mutations that know int8 weights (an I8 tensor and its F32 <c>.scale</c>): scales set to 0, negative, non-finite
/// or tiny values; a value of -128; the I8 and F32 dtypes swapped; the scales' shape changed. <c>weights</c> names the
/// I8 tensors of the seeds they are applied to; each mutation picks one the file has.
/// </summary>
internal static class Int8Mutations
{
    private static readonly float[] Scales = [0, -0f, -1, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue];

    /// <summary>The four groups, for weights called <paramref name="weights"/>.</summary>
    public static IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> For(IReadOnlyList<string> weights) =>
    [
        ("int8 scale edits", (f, r) => EditScale(f, r, weights)),
        ("int8 value -128", (f, r) => WriteMinusOneTwentyEight(f, r, weights)),
        ("int8 dtype swaps", (f, r) => SwapDType(f, r, weights)),
        ("int8 scale shapes", (f, r) => EditScaleShape(f, r, weights)),
    ];

    /// <summary>The data byte range of a tensor, from the header.</summary>
    private static (int Begin, int End)? Range(byte[] file, string name)
    {
        var (header, _) = SafeTensorsMutations.Split(file);
        var offsets = JsonNode.Parse(header)![name]?["data_offsets"]?.AsArray();
        int dataStart = 8 + (int)BinaryPrimitives.ReadInt64LittleEndian(file);
        return offsets is null ? null : (dataStart + (int)offsets[0]!, dataStart + (int)offsets[1]!);
    }

    /// <summary>One of <paramref name="weights"/> that the file's header has (every seed has at least one).</summary>
    private static string Pick(byte[] file, IReadOnlyList<string> weights, Random random) => Pick(JsonNode.Parse(SafeTensorsMutations.Split(file).Header)!.AsObject(), weights, random);

    private static string Pick(JsonObject header, IReadOnlyList<string> weights, Random random)
    {
        string[] present = [.. weights.Where(header.ContainsKey)];
        return present[random.Next(present.Length)];
    }

    private static byte[] EditScale(byte[] file, Random random, IReadOnlyList<string> weights)
    {
        byte[] result = (byte[])file.Clone();
        if (Range(file, Int8Tensors.ScaleName(Pick(file, weights, random))) is { } range && range.End - range.Begin >= 4)
        {
            int at = range.Begin + (4 * random.Next((range.End - range.Begin) / 4));
            BinaryPrimitives.WriteSingleLittleEndian(result.AsSpan(at), Scales[random.Next(Scales.Length)]);
        }

        return result;
    }

    private static byte[] WriteMinusOneTwentyEight(byte[] file, Random random, IReadOnlyList<string> weights)
    {
        byte[] result = (byte[])file.Clone();
        if (Range(file, Pick(file, weights, random)) is { } range && range.End > range.Begin)
        {
            result[range.Begin + random.Next(range.End - range.Begin)] = 0x80;
        }

        return result;
    }

    private static byte[] SwapDType(byte[] file, Random random, IReadOnlyList<string> weights) => SafeTensorsMutations.EditJson(file, random, (h, r) =>
    {
        string weight = Pick(h, weights, r);
        var tensor = h[r.Next(2) == 0 ? weight : Int8Tensors.ScaleName(weight)]!.AsObject();
        tensor["dtype"] = (string?)tensor["dtype"] == "I8" ? "F32" : "I8";
    });

    /// <summary>The scales of one weight as [1, rows], [rows, 1], [rows ± 1] or []: some with the same bytes, some not.</summary>
    private static byte[] EditScaleShape(byte[] file, Random random, IReadOnlyList<string> weights) => SafeTensorsMutations.EditJson(file, random, (h, r) =>
    {
        var tensor = h[Int8Tensors.ScaleName(Pick(h, weights, r))]!.AsObject();
        long rows = (long)tensor["shape"]![0]!;
        JsonArray[] shapes = [new(1, rows), new(rows, 1), new(rows + 1), new(rows - 1), new()];
        tensor["shape"] = shapes[r.Next(shapes.Length)];
    });
}
