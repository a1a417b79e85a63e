using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>Mutations that know safetensors: the header length, the JSON header's keys and values, the tensor data.</summary>
internal static class SafeTensorsMutations
{
    private static readonly string[] DTypes = ["F16", "BF16", "F64", "I32", "U8", "f32", "F32 ", "", "F32\u0000"];
    private static readonly long[] Dimensions = [0, 1, 2, 3, 4, 24, 65536, 2147483647, 2147483648, 1L << 40, (1L << 62) + 1, long.MaxValue];
    private static readonly string[] Numbers = ["0", "1", "2", "-1", "+1", "01", "1\u0000", " 1", "1 ", "1e3", "1.0", "65536", "8193", "4097", "16384", "2147483647", "2147483648", "9223372036854775807", "99999999999999999999", "", "abc", "\ud800", "０"];

    public static IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> All { get; } =
    [
        ("header length lies", LieAboutLength),
        ("truncation at every header boundary", TruncateAtBoundary),
        ("dtype edits", EditDType),
        ("shape edits (overflowing dimensions)", EditShape),
        ("lying data offsets", EditOffsets),
        ("metadata value edits", EditMetadataValue),
        ("duplicate keys", DuplicateKey),
        ("non-UTF-8 and lone surrogates", BreakText),
        ("NaN and infinity in the data", WriteNonFinite),
        ("JSON structure edits", EditStructure),
    ];

    public static (string Header, byte[] Data) Split(byte[] file)
    {
        long length = BinaryPrimitives.ReadInt64LittleEndian(file);
        return (Encoding.UTF8.GetString(file, 8, (int)length), file[(8 + (int)length)..]);
    }

    public static byte[] Join(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, long? claimed = null)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(file, claimed ?? header.Length);
        header.CopyTo(file.AsSpan(8));
        data.CopyTo(file.AsSpan(8 + header.Length));
        return file;
    }

    public static byte[] Join(string header, byte[] data) => Join(Encoding.UTF8.GetBytes(header), data);

    /// <summary>Edits the parsed header (keeping the data); <paramref name="edit"/> gets the object and the generator.</summary>
    public static byte[] EditJson(byte[] file, Random random, Action<JsonObject, Random> edit)
    {
        var (header, data) = Split(file);
        var json = JsonNode.Parse(header)!.AsObject();
        edit(json, random);
        return Join(json.ToJsonString(), data);
    }

    private static T Pick<T>(IReadOnlyList<T> items, Random random) => items[random.Next(items.Count)];

    private static JsonObject RandomTensor(JsonObject header, Random random) =>
        Pick([.. header.Where(p => p.Key != "__metadata__").Select(p => p.Value!.AsObject())], random);

    private static byte[] LieAboutLength(byte[] file, Random random)
    {
        long length = BinaryPrimitives.ReadInt64LittleEndian(file);
        long[] lies = [length + 1, length - 1, length + 8, length - 8, 0, 1, 2, file.Length, file.Length - 8, file.Length - 7, 100_000_001, long.MaxValue, -1, 1L << 32];
        byte[] result = (byte[])file.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(result, Pick(lies, random));
        return result;
    }

    private static byte[] TruncateAtBoundary(byte[] file, Random random)
    {
        long length = BinaryPrimitives.ReadInt64LittleEndian(file);
        var (header, _) = Split(file);
        var json = JsonNode.Parse(header)!.AsObject();
        var boundaries = new List<long> { 0, 4, 7, 8, 9, 8 + length - 1, 8 + length, 8 + length + 1 };
        foreach (var (key, value) in json)
        {
            if (key != "__metadata__")
            {
                var offsets = value!["data_offsets"]!.AsArray();
                boundaries.Add(8 + length + (long)offsets[0]!);
                boundaries.Add(8 + length + (long)offsets[1]!);
            }
        }

        long cut = Pick(boundaries, random) + random.Next(-1, 2);
        return file[..(int)Math.Clamp(cut, 0, file.Length)];
    }

    private static byte[] EditDType(byte[] file, Random random) =>
        EditJson(file, random, (h, r) => RandomTensor(h, r)["dtype"] = r.Next(8) == 0 ? JsonValue.Create(32) : Pick(DTypes, r));

    private static byte[] EditShape(byte[] file, Random random) => EditJson(file, random, (h, r) =>
    {
        var tensor = RandomTensor(h, r);
        var shape = tensor["shape"]!.AsArray();
        switch (r.Next(5))
        {
            case 0 when shape.Count > 0:
                shape[r.Next(shape.Count)] = Pick(Dimensions, r);
                break;
            case 1:
                shape.Add(Pick(Dimensions, r));
                break;
            case 2 when shape.Count > 0:
                shape.RemoveAt(r.Next(shape.Count));
                break;
            case 3:
                tensor["shape"] = new JsonArray(2147483647, 2147483647, 2147483647);
                break;
            default:
                tensor["shape"] = r.Next(2) == 0 ? JsonValue.Create(-1) : new JsonArray(1.5, "2");
                break;
        }
    });

    private static byte[] EditOffsets(byte[] file, Random random) => EditJson(file, random, (h, r) =>
    {
        var tensor = RandomTensor(h, r);
        var offsets = tensor["data_offsets"]!.AsArray();
        long begin = (long)offsets[0]!, end = (long)offsets[1]!;
        long[] lies = [begin + 4, begin - 4, end + 4, end - 4, begin + 1, 0, -4, long.MaxValue, long.MaxValue - 3, 1L << 40];
        tensor["data_offsets"] = r.Next(6) switch
        {
            0 => new JsonArray(end, begin),
            1 => new JsonArray(begin),
            2 => new JsonArray(begin, end, end),
            3 => new JsonArray(Pick(lies, r), end),
            _ => new JsonArray(begin, Pick(lies, r)),
        };
    });

    private static byte[] EditMetadataValue(byte[] file, Random random) => EditJson(file, random, (h, r) =>
    {
        if (h["__metadata__"] is not JsonObject metadata || metadata.Count == 0)
        {
            return;
        }

        string key = Pick([.. metadata.Select(p => p.Key)], r);
        switch (r.Next(6))
        {
            case 0:
                metadata.Remove(key);
                break;
            case 1:
                metadata[key] = r.Next(2) == 0 ? JsonValue.Create(1) : new JsonArray();
                break;
            case 2:
                metadata[key] = Pick(["model", "checkpoint", "optimizer", "", "NaN", "Infinity", "-0", "1e39", "3.4e38", "1e-45", "0,0,0,0", "1,2,3", "ffffffffffffffff,1,1,1"], r);
                break;
            default:
                metadata[key] = Pick(Numbers, r);
                break;
        }
    });

    private static byte[] DuplicateKey(byte[] file, Random random)
    {
        var (header, data) = Split(file);

        // Text-level: a JSON object model would merge the duplicate away. Repeat the first "key":"value" pair found
        // after a random opening brace, so the duplicate lands at the top level, in the metadata or in a tensor entry.
        var opens = Enumerable.Range(0, header.Length).Where(i => header[i] == '{').ToList();
        int open = Pick(opens, random);
        int end = FindPairEnd(header, open + 1);
        if (end < 0)
        {
            return file;
        }

        string pair = header[(open + 1)..end];
        string duplicated = header[..(open + 1)] + pair + "," + header[(open + 1)..];
        return Join(duplicated, data);
    }

    /// <summary>The end of the first key-value pair starting at <paramref name="start"/> (the comma or brace after it), or −1.</summary>
    private static int FindPairEnd(string json, int start)
    {
        int depth = 0;
        bool inString = false;
        for (int i = start; i < json.Length; i++)
        {
            char c = json[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']')
            {
                if (depth == 0)
                {
                    return i;
                }

                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static byte[] BreakText(byte[] file, Random random)
    {
        var (header, data) = Split(file);
        byte[][] bad = [[0xC3, 0x28], [0xFF], [0xFE, 0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE2, 0x82]];
        string[] escapes = ["\\n", "\\u001b[31m", "\\r\\n", "\\ud800", "\\udfff", "\\ud800\\ud800", "\\udc00\\ud800", "\\u0000", "\\uZZZZ", "\\"];

        // Inside a string (after a quote) most of the time, so keys and values are hit, not just the structure.
        var quotes = Enumerable.Range(0, header.Length).Where(i => header[i] == '"').ToList();
        int at = random.Next(4) == 0 ? random.Next(header.Length) : Pick(quotes, random) + 1;
        byte[] before = Encoding.UTF8.GetBytes(header[..at]), after = Encoding.UTF8.GetBytes(header[at..]);
        byte[] inserted = random.Next(2) == 0 ? Pick(bad, random) : Encoding.UTF8.GetBytes(Pick(escapes, random));
        return Join([.. before, .. inserted, .. after], data);
    }

    private static byte[] WriteNonFinite(byte[] file, Random random)
    {
        long length = BinaryPrimitives.ReadInt64LittleEndian(file);
        int dataStart = 8 + (int)length;
        byte[] result = (byte[])file.Clone();
        if (result.Length - dataStart < 4)
        {
            return result;
        }

        float[] values = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue, -float.MaxValue, BitConverter.Int32BitsToSingle(0x7FC00001)];
        for (int i = 0, n = 1 + random.Next(3); i < n; i++)
        {
            int at = dataStart + (4 * random.Next((result.Length - dataStart) / 4));
            BinaryPrimitives.WriteSingleLittleEndian(result.AsSpan(at), Pick(values, random));
        }

        return result;
    }

    private static byte[] EditStructure(byte[] file, Random random)
    {
        var (header, data) = Split(file);
        string edited = random.Next(8) switch
        {
            0 => header + ",",
            1 => header.TrimEnd() + " /* comment */",
            2 => "[" + header + "]",
            3 => header.Replace("}", ",}", StringComparison.Ordinal),
            4 => new string('[', 64) + new string(']', 64),
            5 => header.Replace(":", ":[", StringComparison.Ordinal),
            6 => "{\"__metadata__\":" + header + "}",
            _ => header.Replace("\"", "'", StringComparison.Ordinal),
        };
        return Join(edited, data);
    }
}
