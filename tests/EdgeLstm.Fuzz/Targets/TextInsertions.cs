using System.Text;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>Mutations that know CSV text: quotes, separators, line ends, numbers at the edges of float, NaN and infinity.</summary>
internal static class TextInsertions
{
    private static readonly byte[][] Pieces =
    [
        "\""u8.ToArray(), ","u8.ToArray(), "\n"u8.ToArray(), "\r\n"u8.ToArray(), "\r"u8.ToArray(), "\"\""u8.ToArray(),
        "NaN"u8.ToArray(), "-Infinity"u8.ToArray(), "1e308"u8.ToArray(), "1e39"u8.ToArray(), "-0"u8.ToArray(),
        "99999999999999999999"u8.ToArray(), "\uFEFF"u8.ToArray(), "\ud7ff"u8.ToArray(), [0xff], [0xc3], [0],
        Encoding.ASCII.GetBytes(new string(',', 300)), Encoding.ASCII.GetBytes(new string('9', 400)),
    ];

    /// <summary>Inserts one piece at a random place.</summary>
    public static byte[] Insert(byte[] text, Random random)
    {
        int at = random.Next(text.Length + 1);
        return [.. text[..at], .. Pieces[random.Next(Pieces.Length)], .. text[at..]];
    }

    /// <summary>Replaces one field (the text between two separators or line ends) with a piece.</summary>
    public static byte[] ReplaceField(byte[] text, Random random)
    {
        if (text.Length == 0)
        {
            return text;
        }

        int at = random.Next(text.Length);
        int start = at, end = at;
        while (start > 0 && text[start - 1] is not ((byte)',' or (byte)'\n'))
        {
            start--;
        }

        while (end < text.Length && text[end] is not ((byte)',' or (byte)'\n' or (byte)'\r'))
        {
            end++;
        }

        return [.. text[..start], .. Pieces[random.Next(Pieces.Length)], .. text[end..]];
    }

    /// <summary>Drops or doubles one whole line (ragged files, repeated time values, sequences cut short).</summary>
    public static byte[] EditLine(byte[] text, Random random)
    {
        var lines = new List<byte[]>();
        int start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '\n')
            {
                lines.Add(text[start..Math.Min(i + 1, text.Length)]);
                start = i + 1;
            }
        }

        int which = random.Next(lines.Count);
        if (random.Next(2) == 0)
        {
            lines.RemoveAt(which);
        }
        else
        {
            lines.Insert(which, lines[which]);
        }

        return [.. lines.SelectMany(l => l)];
    }

    public static IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Groups { get; } =
    [
        ("CSV insertions (quotes, separators, line ends, NaN/Inf, huge numbers, non-UTF-8)", Insert),
        ("CSV field replacements", ReplaceField),
        ("CSV dropped and doubled lines", EditLine),
    ];
}
