using System.IO.Compression;
using System.Text;
using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Tests.Data.Sequences;

namespace EdgeLstm.Fuzz.Targets;

/// <summary>
/// <see cref="NumpySequenceReader"/>: a <c>.npz</c> (stored and deflated members; X, y and lengths) or a lone X
/// <c>.npy</c> with a y beside it, from bytes and from a file. Header edits aim at the dict's descr, fortran_order and
/// shape, the parts a lying file would change.
/// </summary>
internal sealed class NumpyTarget : FuzzTarget
{
    private static readonly string[] HeaderTokens =
    [
        "'<f4'", "'>f8'", "'<i8'", "'|u1'", "'<c8'", "'|O'", "'<U3'", "True", "False", "(2, 3, 2)", "(2, 3)", "(0, 3, 2)",
        "(4294967296, 3, 2)", "(9223372036854775807,)", "(-1, 3, 2)", "()", "(2,", "{", "}", ":", "'shape'", "'descr'",
    ];

    private readonly bool _npz;

    public NumpyTarget(bool npz)
    {
        _npz = npz;
        byte[] x = NpyBytes.Float32([2, 3, 2], 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        byte[] y = NpyBytes.Int64([2, 3], 0, 1, 0, 1, 1, 0);
        byte[] lengths = NpyBytes.Int64([2], 2, 3);
        Seeds = npz
            ? [NpyBytes.Zip(CompressionLevel.NoCompression, ("X.npy", x), ("y.npy", y), ("lengths.npy", lengths)), NpyBytes.Zip(CompressionLevel.Optimal, ("X.npy", x), ("y.npy", NpyBytes.Float32([2], 0.5f, 1.5f)))]
            : [x, NpyBytes.Float32([2, 2, 1], 1, 2, 3, 4)];
    }

    public override string Name => _npz ? "NumPy .npz" : "NumPy .npy";

    public override Type FormatException => typeof(DataFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; }

    /// <summary>Deflate expands at most 1032:1 (the reader never inflates past a member's declared size).</summary>
    public override long MemoryBound(byte[] input) => base.MemoryBound(input) + (_npz ? 8L * 1032 * input.Length : 0);

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured =>
        _npz ? [("npy header edits inside the archive's stored members", EditHeader)] : [("npy header edits (descr, fortran_order, shape)", EditHeader)];

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        if (_npz)
        {
            if (route == LoadRoute.File)
            {
                File.WriteAllBytes(path, input);
                NumpySequenceReader.ReadNpz(path);
            }
            else
            {
                NumpySequenceReader.ReadNpz(input, "fuzz.npz");
            }

            return;
        }

        // Both seeds hold two sequences: y is one regression value per sequence.
        byte[] y = NpyBytes.Float32([2], 1, 2);
        NumpySequenceReader.ReadNpy(input, y, null, "fuzz.npy");
    }

    /// <summary>Replaces a token of the first npy header found (in a stored member the header is plain text).</summary>
    private static byte[] EditHeader(byte[] file, Random random)
    {
        string text = Encoding.Latin1.GetString(file);
        int dict = text.IndexOf("{'descr'", StringComparison.Ordinal);
        if (dict < 0)
        {
            return ByteMutations.FlipBits(file, random);
        }

        int end = text.IndexOf('}', dict);
        int start = dict + random.Next(Math.Max(1, end - dict));
        int length = random.Next(1, 12);
        string edited = text[..start] + HeaderTokens[random.Next(HeaderTokens.Length)] + text[Math.Min(text.Length, start + length)..];
        return Encoding.Latin1.GetBytes(edited);
    }
}
