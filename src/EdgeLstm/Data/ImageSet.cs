namespace EdgeLstm.Data;

/// <summary>
/// Greyscale images of one size, read as floats in [0, 1], image after image, row after row. An IDX set keeps its
/// pixels as the file's bytes and scales them (byte × 1/255) only when images are copied out: a quarter of the memory
/// of floats (MNIST's 60,000 training images: 47 MB instead of 188 MB). A set made from floats (a PGM) keeps them.
/// </summary>
/// <remarks>
/// Bytes are held in chunks of whole images (<see cref="ChunkBytes"/>, or one image when an image is larger), so a
/// reader can add a chunk as the data arrives and never copies or over-allocates the set while it grows.
/// </remarks>
public sealed class ImageSet
{
    /// <summary>The size of a chunk of stored bytes (rounded down to whole images).</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>The factor that turns a stored byte into a pixel; multiplying by it is what the float reader always did.</summary>
    public const float ByteScale = 1f / 255f;

    private readonly float[]? _floats;
    private readonly byte[][]? _chunks;
    private readonly int _imagesPerChunk;

    /// <summary>Wraps <paramref name="pixels"/> (count·rows·columns floats).</summary>
    public ImageSet(int count, int rows, int columns, float[] pixels)
        : this(count, rows, columns)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        CheckLength(pixels.LongLength, count, rows, columns, nameof(pixels));
        _floats = pixels;
    }

    /// <summary>Wraps <paramref name="bytes"/> (count·rows·columns bytes, 0–255; pixel = byte × <see cref="ByteScale"/>).</summary>
    public ImageSet(int count, int rows, int columns, byte[] bytes)
        : this(count, rows, columns, [bytes ?? throw new ArgumentNullException(nameof(bytes))], Math.Max(count, 1))
    {
    }

    /// <summary>
    /// Wraps stored bytes in <paramref name="chunks"/>: every chunk but the last holds <paramref name="imagesPerChunk"/>
    /// whole images, the last the rest.
    /// </summary>
    internal ImageSet(int count, int rows, int columns, byte[][] chunks, int imagesPerChunk)
        : this(count, rows, columns)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imagesPerChunk);
        long imageLength = (long)rows * columns;
        long total = 0;
        for (int i = 0; i < chunks.Length; i++)
        {
            long images = i < chunks.Length - 1 ? imagesPerChunk : count - ((long)imagesPerChunk * i);
            if (chunks[i] is null || images < (count == 0 ? 0 : 1) || images > imagesPerChunk || chunks[i].LongLength != images * imageLength)
            {
                throw new ArgumentException($"Chunk {i} of {chunks.Length} does not hold the expected whole images.", nameof(chunks));
            }

            total += chunks[i].LongLength;
        }

        CheckLength(total, count, rows, columns, nameof(chunks));
        _chunks = chunks;
        _imagesPerChunk = imagesPerChunk;
    }

    private ImageSet(int count, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        Count = count;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Rows per image (the time steps when an image is read row by row).</summary>
    public int Rows { get; }

    /// <summary>Pixels per row (the inputs per time step).</summary>
    public int Columns { get; }

    /// <summary>Pixels per image.</summary>
    public int ImageLength => Rows * Columns;

    /// <summary>The bytes of memory the pixels take (bytes or floats, as stored).</summary>
    public long StoredBytes => _floats is not null ? _floats.LongLength * sizeof(float) : (long)Count * ImageLength;

    /// <summary>
    /// Writes images [<paramref name="start"/>, start + count) as floats into <paramref name="destination"/>
    /// (count·ImageLength floats). Allocates nothing: this is how training and evaluation batches are filled.
    /// </summary>
    public void CopyImages(int start, int count, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, Count - count);
        int length = ImageLength;
        if (destination.Length != count * length)
        {
            throw new ArgumentException($"{count} images of {length} pixels need {count * length} floats; got {destination.Length}.", nameof(destination));
        }

        if (_floats is not null)
        {
            _floats.AsSpan(start * length, count * length).CopyTo(destination);
            return;
        }

        while (count > 0)
        {
            int chunk = start / _imagesPerChunk;
            int first = start - (chunk * _imagesPerChunk);
            int images = Math.Min(count, _imagesPerChunk - first);
            Scale(_chunks![chunk].AsSpan(first * length, images * length), destination[..(images * length)]);
            destination = destination[(images * length)..];
            start += images;
            count -= images;
        }
    }

    /// <summary>Writes image <paramref name="index"/> as floats into <paramref name="destination"/> (ImageLength floats).</summary>
    public void CopyImage(int index, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        CopyImages(index, 1, destination);
    }

    /// <summary>Images [<paramref name="start"/>, start + count) as a new array of floats.</summary>
    public float[] ToFloats(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var pixels = new float[checked(count * ImageLength)];
        CopyImages(start, count, pixels);
        return pixels;
    }

    /// <summary>The pixels of image <paramref name="index"/>, in a new array (for one image at a time; batches use <see cref="CopyImages"/>).</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return ToFloats(index, 1);
    }

    /// <summary>How many whole images of <paramref name="imageLength"/> bytes a chunk holds (at least one).</summary>
    internal static int ImagesPerChunk(int imageLength) => Math.Max(1, ChunkBytes / imageLength);

    private static void Scale(ReadOnlySpan<byte> bytes, Span<float> pixels)
    {
        // Byte to float is exact and the product is rounded once, as when the reader made floats: the same bits.
        for (int i = 0; i < bytes.Length; i++)
        {
            pixels[i] = bytes[i] * ByteScale;
        }
    }

    private static void CheckLength(long length, int count, int rows, int columns, string parameter)
    {
        if (length != (long)count * rows * columns)
        {
            throw new ArgumentException($"{count} images of {rows}×{columns} need {(long)count * rows * columns} pixels; got {length}.", parameter);
        }
    }
}
