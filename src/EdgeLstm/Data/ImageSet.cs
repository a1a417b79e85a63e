namespace EdgeLstm.Data;

/// <summary>
/// Greyscale images of one size, read as floats in [0, 1], image after image, row after row. An IDX set keeps its
/// pixels as the file's bytes, zeros left out (<see cref="CompactImages"/>), and scales them (byte × 1/255) only when
/// images are copied out: MNIST's 60,000 training images take 16 MB instead of 188 MB as floats (47 MB as plain
/// bytes). A set made from floats (a PGM) keeps them.
/// </summary>
public sealed class ImageSet
{
    /// <summary>The size of a chunk of stored bytes, and of the pieces a reader reads (rounded down to whole images).</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>The factor that turns a stored byte into a pixel; multiplying by it is what the float reader always did.</summary>
    public const float ByteScale = 1f / 255f;

    private readonly float[]? _floats;
    private readonly CompactImages? _bytes;

    /// <summary>Wraps <paramref name="pixels"/> (count·rows·columns floats).</summary>
    public ImageSet(int count, int rows, int columns, float[] pixels)
        : this(count, rows, columns)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        CheckLength(pixels.LongLength, count, rows, columns, nameof(pixels));
        _floats = pixels;
    }

    /// <summary>Stores <paramref name="bytes"/> (count·rows·columns bytes, 0–255; pixel = byte × <see cref="ByteScale"/>).</summary>
    public ImageSet(int count, int rows, int columns, byte[] bytes)
        : this(count, rows, columns)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        CheckLength(bytes.LongLength, count, rows, columns, nameof(bytes));
        var store = new CompactImages(ImageLength, count);
        for (int i = 0; i < count; i++)
        {
            store.Add(bytes.AsSpan(i * ImageLength, ImageLength));
        }

        store.TrimExcess();
        _bytes = store;
    }

    /// <summary>Wraps the images a reader stored in <paramref name="bytes"/>.</summary>
    internal ImageSet(int rows, int columns, CompactImages bytes)
        : this(bytes?.Count ?? 0, rows, columns)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        _bytes = bytes;
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

    /// <summary>The bytes of memory the pixels take, as stored (floats, or the compact bytes with their index).</summary>
    public long StoredBytes => _floats?.LongLength * sizeof(float) ?? _bytes!.StoredBytes;

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

        for (int i = 0; i < count; i++)
        {
            _bytes!.Decode(start + i, destination.Slice(i * length, length), ByteScale);
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

    private static void CheckLength(long length, int count, int rows, int columns, string parameter)
    {
        if (length != (long)count * rows * columns)
        {
            throw new ArgumentException($"{count} images of {rows}×{columns} need {(long)count * rows * columns} pixels; got {length}.", parameter);
        }
    }
}
