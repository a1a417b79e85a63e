using System.Text;
using EdgeLstm.Data;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Fuzz.Targets;

/// <summary><see cref="PgmReader"/> as <c>predict --pgm</c> uses it (28×28 asked for) and without a size, from bytes, a pipe and a file.</summary>
internal sealed class PgmTarget : FuzzTarget
{
    private static readonly string[] Tokens = ["0", "1", "27", "28", "29", "255", "256", "4096", "4097", "65535", "65536", "-1", "+28", "028", "2147483648", "99999999999999999", "28a", "P5", "#", ""];

    public override string Name => "PGM";

    public override Type FormatException => typeof(DataFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; } =
    [
        [.. "P5\n# a digit\n28 28\n255\n"u8, .. Enumerable.Range(0, 784).Select(i => (byte)(i * 7))],
        [.. "P5 3 2 65535\n"u8, .. Enumerable.Range(0, 12).Select(i => (byte)(i * 40))],
        Encoding.ASCII.GetBytes("P2\n# ascii\n4 2\n15\n0 1 2 3\n4 5 6 15\n"),
    ];

    public override IReadOnlyList<LoadRoute> Routes { get; } = [LoadRoute.Bytes, LoadRoute.Stream, LoadRoute.File];

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured { get; } =
    [
        ("header token edits", EditToken),
        ("comments", InsertComment),
        ("truncation at every header boundary", TruncateAtBoundary),
        ("trailing data", (f, r) => [.. f, .. new byte[1 + r.Next(2000)]]),
    ];

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        // Half the cases ask for 28×28, as predict --pgm does.
        bool sized = input.Length % 2 == 0;
        switch (route)
        {
            case LoadRoute.Stream:
                using (var pipe = new PipeLikeStream(input, 61))
                {
                    PgmReader.Read(pipe, "fuzz", sized ? 28 : null, sized ? 28 : null);
                }

                break;
            case LoadRoute.File:
                File.WriteAllBytes(path, input);
                PgmReader.Read(path, sized ? 28 : null, sized ? 28 : null);
                break;
            default:
                PgmReader.Read(input, "fuzz");
                break;
        }
    }

    /// <summary>Where each header token starts and ends (the first four tokens).</summary>
    private static List<(int Start, int End)> HeaderTokens(byte[] file)
    {
        var tokens = new List<(int, int)>();
        int i = 0;
        while (tokens.Count < 4 && i < file.Length)
        {
            if (file[i] == '#')
            {
                while (i < file.Length && file[i] != '\n')
                {
                    i++;
                }
            }
            else if (file[i] is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r')
            {
                i++;
            }
            else
            {
                int start = i;
                while (i < file.Length && file[i] is not ((byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r' or (byte)'#'))
                {
                    i++;
                }

                tokens.Add((start, i));
            }
        }

        return tokens;
    }

    private static byte[] EditToken(byte[] file, Random random)
    {
        var tokens = HeaderTokens(file);
        var (start, end) = tokens[random.Next(tokens.Count)];
        return [.. file[..start], .. Encoding.ASCII.GetBytes(Tokens[random.Next(Tokens.Length)]), .. file[end..]];
    }

    private static byte[] InsertComment(byte[] file, Random random)
    {
        var tokens = HeaderTokens(file);
        int at = tokens[random.Next(tokens.Count)].End;
        byte[] comment = Encoding.ASCII.GetBytes("#" + new string('x', random.Next(2) == 0 ? 5 : 5000) + (random.Next(4) == 0 ? string.Empty : "\n"));
        return [.. file[..at], .. comment, .. file[at..]];
    }

    private static byte[] TruncateAtBoundary(byte[] file, Random random)
    {
        var tokens = HeaderTokens(file);
        var (start, end) = tokens[random.Next(tokens.Count)];
        int cut = (random.Next(3) switch { 0 => start, 1 => end, _ => end + 1 }) + random.Next(-1, 2);
        return file[..Math.Clamp(cut, 0, file.Length)];
    }
}
