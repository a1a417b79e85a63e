using System.Buffers.Binary;
using System.IO.Compression;
using EdgeLstm.Data;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Fuzz.Targets;

/// <summary><see cref="IdxReader"/>, images or labels, plain or gzipped, from bytes, from a pipe-like stream and from a file.</summary>
internal sealed class IdxTarget : FuzzTarget
{
    private static readonly uint[] Dimensions = [0, 1, 2, 3, 27, 28, 29, 4096, 4097, 60000, 342_500, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    private readonly bool _images;
    private readonly bool _gzip;

    public IdxTarget(bool images, bool gzip)
    {
        _images = images;
        _gzip = gzip;
        byte[][] raw = images
            ? [Images(3, 28, 28), Images(2, 5, 7), Images(0, 28, 28)]
            : [Labels(10), Labels(1), Labels(0)];
        Seeds = gzip
            ? [Gzip(raw[0], CompressionLevel.Optimal), Gzip(raw[1], CompressionLevel.Fastest), Gzip(raw[2], CompressionLevel.NoCompression), [.. Gzip(raw[0][..9], CompressionLevel.Fastest), .. Gzip(raw[0][9..], CompressionLevel.SmallestSize)]]
            : raw;
        var idx = new List<(string, Func<byte[], Random, byte[]>)>
        {
            ("dimension edits (overflowing dimensions)", OnContent(EditDimension)),
            ("magic number edits", OnContent(EditMagic)),
            ("truncation at every header boundary", OnContent(TruncateAtBoundary)),
            ("trailing data", OnContent((c, r) => [.. c, .. new byte[1 + r.Next(100)]])),
            ("labels out of range", OnContent(WriteBigLabels)),
        };
        if (gzip)
        {
            idx.Add(("gzip header edits", GzipHeader));
            idx.Add(("gzip trailer edits (CRC-32, ISIZE)", GzipTrailer));
            idx.Add(("gzip truncation at member boundaries", GzipTruncate));
            idx.Add(("gzip trailing garbage and extra members", GzipTrailing));
            idx.Add(("deflate bit flips", (f, r) => ByteMutations.FlipBits(f, r)));
        }

        Structured = idx;
    }

    public override string Name => $"IDX {(_images ? "images" : "labels")}{(_gzip ? " (gzip)" : string.Empty)}";

    public override Type FormatException => typeof(DataFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; }

    public override IReadOnlyList<LoadRoute> Routes { get; } = [LoadRoute.Bytes, LoadRoute.Stream, LoadRoute.File];

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured { get; }

    /// <summary>Deflate expands at most 1032:1, and each pixel costs a byte and a float while it is read.</summary>
    public override long MemoryBound(byte[] input) => base.MemoryBound(input) + (_gzip ? 8L * 1032 * input.Length : 0);

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        switch (route)
        {
            case LoadRoute.Stream:
                using (var pipe = new PipeLikeStream(input, 4093))
                {
                    _ = _images ? IdxReader.ReadImages(pipe, "fuzz") : (object)IdxReader.ReadLabels(pipe, "fuzz");
                }

                break;
            case LoadRoute.File:
                File.WriteAllBytes(path, input);
                _ = _images ? IdxReader.ReadImages(path) : (object)IdxReader.ReadLabels(path);
                break;
            default:
                _ = _images ? IdxReader.ReadImages(input, "fuzz") : (object)IdxReader.ReadLabels(input, "fuzz");
                break;
        }
    }

    public static byte[] Images(int count, int rows, int columns)
    {
        var payload = new byte[count * rows * columns];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i % 97 < 40 ? 0 : i * 31);
        }

        return Idx(IdxReader.ImagesMagic, [(uint)count, (uint)rows, (uint)columns], payload);
    }

    private static byte[] Labels(int count) => Idx(IdxReader.LabelsMagic, [(uint)count], [.. Enumerable.Range(0, count).Select(i => (byte)(i % 10))]);

    private static byte[] Idx(int magic, uint[] dimensions, byte[] payload)
    {
        var bytes = new byte[4 + (4 * dimensions.Length) + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dimensions[i]);
        }

        payload.CopyTo(bytes, 4 + (4 * dimensions.Length));
        return bytes;
    }

    public static byte[] Gzip(byte[] content, CompressionLevel level)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    /// <summary>Applies an IDX-level edit to the decompressed content (and compresses it again for the gzip target).</summary>
    private Func<byte[], Random, byte[]> OnContent(Func<byte[], Random, byte[]> edit) => (file, random) =>
    {
        if (!_gzip)
        {
            return edit(file, random);
        }

        using var input = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
        using var content = new MemoryStream();
        input.CopyTo(content);
        return Gzip(edit(content.ToArray(), random), random.Next(2) == 0 ? CompressionLevel.Fastest : CompressionLevel.NoCompression);
    };

    private byte[] EditDimension(byte[] content, Random random)
    {
        byte[] result = (byte[])content.Clone();
        int dimensions = _images ? 3 : 1;
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(4 + (4 * random.Next(dimensions))), Dimensions[random.Next(Dimensions.Length)]);
        return result;
    }

    private static byte[] EditMagic(byte[] content, Random random)
    {
        byte[] result = (byte[])content.Clone();
        int[] magics = [0x00000801, 0x00000803, 0x00000802, 0x00000903, 0x00000C03, 0x00000D01, 0x08030000, 0x1f8b0803, 0];
        BinaryPrimitives.WriteInt32BigEndian(result, magics[random.Next(magics.Length)]);
        return result;
    }

    private byte[] TruncateAtBoundary(byte[] content, Random random)
    {
        int header = _images ? 16 : 8;
        int[] boundaries = [0, 1, 2, 3, 4, 5, 8, 12, header - 1, header, header + 1, content.Length - 1, content.Length];
        return content[..Math.Clamp(boundaries[random.Next(boundaries.Length)], 0, content.Length)];
    }

    private byte[] WriteBigLabels(byte[] content, Random random)
    {
        byte[] result = (byte[])content.Clone();
        int header = _images ? 16 : 8;
        if (result.Length > header)
        {
            result[header + random.Next(result.Length - header)] = (byte)(10 + random.Next(246));
        }

        return result;
    }

    private static byte[] GzipHeader(byte[] file, Random random)
    {
        byte[] result = (byte[])file.Clone();
        switch (random.Next(4))
        {
            case 0:
                result[2] = (byte)random.Next(256); // method
                break;
            case 1:
                result[3] = (byte)(1 << random.Next(8)); // one flag, its field absent
                break;
            case 2:
                // A file name (or comment) that never ends, or that does.
                result[3] = (byte)(random.Next(2) == 0 ? 8 : 16);
                byte[] name = [.. "digits.idx"u8, .. (random.Next(2) == 0 ? new byte[] { 0 } : [])];
                return [.. result[..10], .. name, .. result[10..]];
            default:
                // An extra field whose length lies.
                result[3] = 4;
                byte[] extra = [(byte)random.Next(256), (byte)random.Next(256), 1, 2, 3];
                return [.. result[..10], .. extra, .. result[10..]];
        }

        return result;
    }

    private static byte[] GzipTrailer(byte[] file, Random random)
    {
        byte[] result = (byte[])file.Clone();
        result[result.Length - 1 - random.Next(8)] ^= (byte)(1 << random.Next(8));
        return result;
    }

    private static byte[] GzipTruncate(byte[] file, Random random)
    {
        int[] cuts = [1, 2, 3, 9, 10, 11, file.Length - 9, file.Length - 8, file.Length - 5, file.Length - 4, file.Length - 1];
        return file[..Math.Clamp(cuts[random.Next(cuts.Length)], 0, file.Length)];
    }

    private static byte[] GzipTrailing(byte[] file, Random random) => random.Next(4) switch
    {
        0 => [.. file, 0],
        1 => [.. file, 0x1f, 0x8b],
        2 => [.. file, .. file],
        _ => [.. file, .. Gzip(new byte[1 + random.Next(5000)], CompressionLevel.Optimal)],
    };
}
