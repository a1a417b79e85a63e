using System.Buffers.Binary;
using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Data;

/// <summary>
/// Reads IDX files (the MNIST format), gzipped or raw: a big-endian magic number (0x00000801 for labels, 0x00000803
/// for images: two zero bytes, type 0x08 = unsigned byte, the number of dimensions), the dimensions as big-endian
/// 32-bit integers, then the bytes. Everything is checked; a bad file gives a <see cref="DataFormatException"/> naming
/// the file and the field.
/// </summary>
/// <remarks>
/// Memory is bounded by the dimensions the header states (at most <see cref="MaxPayloadBytes"/>) and by the bytes
/// really read: the payload is read piece by piece and stored as it arrives, never allocated from the header's claim
/// alone (a header that needs more than the budget is refused before anything is allocated), and one byte past
/// the stated size is an error, so neither a lying header nor a gzip bomb can cost more than the real data. Gzip is
/// decoded strictly (<see cref="GzipReader"/>: each member's CRC-32 and size verified, trailing garbage refused); streams
/// need not seek, so pipes work.
/// </remarks>
public static class IdxReader
{
    /// <summary>The magic number of a label file: unsigned bytes, one dimension.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>The magic number of an image file: unsigned bytes, three dimensions.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The largest image side accepted.</summary>
    public const int MaxSide = 4096;

    /// <summary>
    /// The default limit on the memory an image file's set may take: 2^28 bytes (256 MiB; 338,000 images of 28×28, over
    /// five MNIST training sets), counted as every pixel byte plus each image's 8-byte place (<see cref="CompactImages"/>
    /// stores less when images have zeros: the bound holds for any content).
    /// </summary>
    public const long MaxPayloadBytes = 1L << 28;

    private const int Chunk = 1 << 20;

    /// <summary>
    /// Reads an image file; its pixels are kept as bytes and read as 0–255 scaled to [0, 1]. A file whose dimensions
    /// need more than <paramref name="maxBytes"/> is refused from its header, before the payload is allocated, with
    /// the size it would need.
    /// </summary>
    public static ImageSet ReadImages(string path, long maxBytes = MaxPayloadBytes)
    {
        using var file = File.OpenRead(path);
        return ReadImages(file, path, maxBytes);
    }

    /// <summary>Reads an image file from bytes (gzipped or raw); <paramref name="source"/> names it in messages.</summary>
    public static ImageSet ReadImages(byte[] content, string source, long maxBytes = MaxPayloadBytes)
    {
        using var stream = new MemoryStream(content, writable: false);
        return ReadImages(stream, source, maxBytes);
    }

    /// <summary>Reads an image file (gzipped or raw) from a stream, which need not seek.</summary>
    public static ImageSet ReadImages(Stream stream, string source, long maxBytes = MaxPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        return Decode(stream, source, input => ReadImagePayload(input, source, maxBytes));
    }

    /// <summary>Reads a label file; every label must be below <paramref name="classes"/>.</summary>
    public static int[] ReadLabels(string path, int classes = 10)
    {
        using var file = File.OpenRead(path);
        return ReadLabels(file, path, classes);
    }

    /// <summary>Reads a label file from bytes (gzipped or raw); <paramref name="source"/> names it in messages.</summary>
    public static int[] ReadLabels(byte[] content, string source, int classes = 10)
    {
        using var stream = new MemoryStream(content, writable: false);
        return ReadLabels(stream, source, classes);
    }

    /// <summary>Reads a label file (gzipped or raw) from a stream, which need not seek.</summary>
    public static int[] ReadLabels(Stream stream, string source, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        return Decode(stream, source, input => ReadLabelPayload(input, source, classes));
    }

    private static ImageSet ReadImagePayload(Stream input, string source, long maxBytes)
    {
        ReadMagic(input, source, ImagesMagic, "images");
        int count = ReadDimension(input, source, "dimension 0 (image count)", 0, int.MaxValue);
        int rows = ReadDimension(input, source, "dimension 1 (rows)", 1, MaxSide);
        int columns = ReadDimension(input, source, "dimension 2 (columns)", 1, MaxSide);
        // What the set may take in memory: every byte (a dense image is stored plain) and each image's place.
        long needed = MemoryBudget.Product(count, MemoryBudget.Sum((long)rows * columns, CompactImages.BytesPerImageIndex));
        MemoryBudget.Check(source, $"{count} images of {rows}×{columns}", needed, maxBytes);

        // Piece after piece into one reused buffer, each image stored as it arrives: memory grows with the bytes really
        // present, never from the header's claim alone, and no growing array is copied (and left to the collector).
        int imageLength = rows * columns;
        int perPiece = ImageSet.ImagesPerChunk(imageLength);
        var piece = new byte[Math.Min(perPiece, Math.Max(count, 1)) * imageLength];
        var store = new CompactImages(imageLength, count);
        string field = $"pixel data ({count} images of {rows}×{columns})";
        long expected = (long)count * imageLength;
        long filled = 0;
        for (long start = 0; start < count; start += perPiece)
        {
            int length = (int)Math.Min(perPiece, count - start) * imageLength;
            int got = input.ReadAtLeast(piece.AsSpan(0, length), length, throwOnEndOfStream: false);
            filled += got;
            if (got < length)
            {
                throw new DataFormatException(source, field, $"expected {expected} bytes, found {filled} (file truncated)");
            }

            for (int offset = 0; offset < length; offset += imageLength)
            {
                store.Add(piece.AsSpan(offset, imageLength));
            }
        }

        RefuseTrailingData(input, source, field, expected);
        store.TrimExcess();
        return new ImageSet(rows, columns, store);
    }

    private static int[] ReadLabelPayload(Stream input, string source, int classes)
    {
        ReadMagic(input, source, LabelsMagic, "labels");
        int count = ReadDimension(input, source, "dimension 0 (label count)", 0, (int)Math.Min(int.MaxValue, MaxPayloadBytes));
        byte[] bytes = ReadPayload(input, source, count, $"label data ({count} labels)");
        var labels = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] >= classes)
            {
                throw new DataFormatException(source, $"label {i}", $"expected a class from 0 to {classes - 1}, found {bytes[i]}");
            }

            labels[i] = bytes[i];
        }

        return labels;
    }

    /// <summary>Runs <paramref name="read"/> on the decompressed content when the stream starts with gzip's magic bytes.</summary>
    private static T Decode<T>(Stream stream, string source, Func<Stream, T> read)
    {
        byte[] head = new byte[2];
        int got = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        var input = new PrefixedStream(head.AsMemory(0, got), stream);
        return got == 2 && head[0] == 0x1f && head[1] == 0x8b
            ? read(new GzipReader(input, source))
            : read(input);
    }

    private static void ReadMagic(Stream input, string source, int expected, string kind)
    {
        Span<byte> bytes = stackalloc byte[4];
        int got = input.ReadAtLeast(bytes, 4, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw new DataFormatException(source, "magic number", $"expected 4 bytes, found {got} (file truncated)");
        }

        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expected)
        {
            string hint = magic switch
            {
                LabelsMagic => " (a label file)",
                ImagesMagic => " (an image file)",
                _ => string.Empty,
            };
            throw new DataFormatException(source, "magic number", $"expected 0x{expected:X8} ({kind}), found 0x{magic:X8}{hint}");
        }
    }

    private static int ReadDimension(Stream input, string source, string field, int min, int max)
    {
        Span<byte> bytes = stackalloc byte[4];
        int got = input.ReadAtLeast(bytes, 4, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw new DataFormatException(source, field, $"expected 4 bytes, found {got} (file truncated)");
        }

        uint value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        if (value < (uint)min || value > (uint)max)
        {
            throw new DataFormatException(source, field, $"expected {min} to {max}, found {value}");
        }

        return (int)value;
    }

    private static byte[] ReadPayload(Stream input, string source, int expected, string field)
    {
        // Grow with the data actually read rather than trusting the header's size.
        var buffer = new byte[Math.Min(expected, Chunk)];
        int filled = 0;
        while (filled < expected)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(expected, (long)buffer.Length * 2));
            }

            int read = input.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                throw new DataFormatException(source, field, $"expected {expected} bytes, found {filled} (file truncated)");
            }

            filled += read;
        }

        RefuseTrailingData(input, source, field, expected);
        return buffer;
    }

    private static void RefuseTrailingData(Stream input, string source, string field, long expected)
    {
        Span<byte> probe = stackalloc byte[1];
        if (input.Read(probe) != 0)
        {
            throw new DataFormatException(source, field, $"expected {expected} bytes, found more (trailing data after the last item)");
        }
    }
}
