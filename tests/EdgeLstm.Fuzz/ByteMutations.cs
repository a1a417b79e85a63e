using System.Buffers.Binary;

namespace EdgeLstm.Fuzz;

/// <summary>Format-blind mutations every target gets: bit flips, inserts, deletes, truncation, interesting values, splices.</summary>
internal static class ByteMutations
{
    private static readonly long[] Interesting = [0, 1, -1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, long.MaxValue, long.MinValue, 1L << 32, 1L << 40];

    /// <summary>The generic groups, by name.</summary>
    public static IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> All { get; } =
    [
        ("bit flips", FlipBits),
        ("byte inserts", InsertBytes),
        ("byte deletes", DeleteBytes),
        ("truncation", Truncate),
        ("interesting values", WriteInteresting),
        ("chunk copies", CopyChunk),
        ("stacked mutations", Stack),
    ];

    public static byte[] FlipBits(byte[] seed, Random random)
    {
        byte[] result = (byte[])seed.Clone();
        int flips = 1 + random.Next(random.Next(2) == 0 ? 2 : 16);
        for (int i = 0; i < flips && result.Length > 0; i++)
        {
            result[Position(result, random)] ^= (byte)(1 << random.Next(8));
        }

        return result;
    }

    public static byte[] InsertBytes(byte[] seed, Random random)
    {
        int at = random.Next(seed.Length + 1);
        var inserted = new byte[1 + random.Next(random.Next(4) == 0 ? 300 : 8)];
        random.NextBytes(inserted);
        return [.. seed.AsSpan(0, at), .. inserted, .. seed.AsSpan(at)];
    }

    public static byte[] DeleteBytes(byte[] seed, Random random)
    {
        if (seed.Length == 0)
        {
            return seed;
        }

        int at = random.Next(seed.Length);
        int count = Math.Min(seed.Length - at, 1 + random.Next(random.Next(4) == 0 ? 300 : 8));
        return [.. seed.AsSpan(0, at), .. seed.AsSpan(at + count)];
    }

    public static byte[] Truncate(byte[] seed, Random random) => seed[..random.Next(seed.Length + 1)];

    public static byte[] WriteInteresting(byte[] seed, Random random)
    {
        byte[] result = (byte[])seed.Clone();
        if (result.Length < 8)
        {
            return result;
        }

        long value = Interesting[random.Next(Interesting.Length)];
        int at = random.Next(result.Length - 7);
        switch (random.Next(4))
        {
            case 0:
                BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(at), (int)value);
                break;
            case 1:
                BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(at), (int)value);
                break;
            case 2:
                BinaryPrimitives.WriteInt64LittleEndian(result.AsSpan(at), value);
                break;
            default:
                result[at] = (byte)value;
                break;
        }

        return result;
    }

    public static byte[] CopyChunk(byte[] seed, Random random)
    {
        if (seed.Length < 2)
        {
            return seed;
        }

        int from = random.Next(seed.Length), to = random.Next(seed.Length);
        int count = 1 + random.Next(Math.Min(64, seed.Length - Math.Max(from, to)));
        byte[] result = (byte[])seed.Clone();
        seed.AsSpan(from, count).CopyTo(result.AsSpan(to));
        return result;
    }

    public static byte[] Stack(byte[] seed, Random random)
    {
        byte[] result = seed;
        for (int i = 0, n = 2 + random.Next(4); i < n; i++)
        {
            result = All[random.Next(All.Count - 1)].Mutate(result, random);
        }

        return result;
    }

    /// <summary>A position biased to the start, where headers are.</summary>
    private static int Position(byte[] data, Random random) => random.Next(2) == 0 ? random.Next(Math.Min(data.Length, 512)) : random.Next(data.Length);
}
