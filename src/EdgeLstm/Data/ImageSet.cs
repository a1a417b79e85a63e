namespace EdgeLstm.Data;

/// <summary>Greyscale images of one size, pixels as floats in [0, 1], stored image after image, row after row.</summary>
public sealed class ImageSet
{
    /// <summary>Wraps <paramref name="pixels"/> (count·rows·columns floats).</summary>
    public ImageSet(int count, int rows, int columns, float[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (pixels.LongLength != (long)count * rows * columns)
        {
            throw new ArgumentException($"{count} images of {rows}×{columns} need {(long)count * rows * columns} pixels; got {pixels.LongLength}.", nameof(pixels));
        }

        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Rows per image (the time steps when an image is read row by row).</summary>
    public int Rows { get; }

    /// <summary>Pixels per row (the inputs per time step).</summary>
    public int Columns { get; }

    /// <summary>Pixels per image.</summary>
    public int ImageLength => Rows * Columns;

    /// <summary>All pixels, image-major.</summary>
    public float[] Pixels { get; }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * ImageLength, ImageLength);
    }
}
