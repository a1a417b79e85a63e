using System.Numerics;

namespace EdgeLstm.Data;

/// <summary>
/// Byte images stored without their zero pixels: each image is a bitmap of its non-zero pixels followed by their
/// values, or its plain bytes when that would not be smaller. An MNIST digit is four-fifths black, so the 60,000
/// training images take about 16 MB instead of 47 MB; nothing is lost, and decoding gives back every byte.
/// </summary>
/// <remarks>
/// Images are appended as a reader produces them, into chunks of <see cref="ImageSet.ChunkBytes"/> (or one image when
/// that is larger): memory grows with the data really read, and nothing is copied while it grows. Each image's place
/// is one <see cref="long"/>: its chunk, its offset and whether it is stored plain.
/// </remarks>
internal sealed class CompactImages
{
    /// <summary>What one image costs beyond its encoded bytes: its place.</summary>
    public const int BytesPerImageIndex = sizeof(long);

    private const long PlainFlag = 1L << 31;

    private readonly int _imageLength;
    private readonly int _bitmapLength;
    private readonly int _expectedCount;
    private readonly List<byte[]> _chunks = [];
    private readonly List<long> _places;
    private int _used;
    private long _storedBytes;

    /// <summary>
    /// An empty store for images of <paramref name="imageLength"/> bytes. <paramref name="expectedCount"/> (a header's
    /// claim) only keeps a small set from taking a whole chunk; it never makes anything larger than a chunk.
    /// </summary>
    public CompactImages(int imageLength, int expectedCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageLength);
        _imageLength = imageLength;
        _bitmapLength = (imageLength + 7) / 8;
        _expectedCount = Math.Max(expectedCount, 0);
        _places = new List<long>(Math.Min(_expectedCount, 1 << 12));
    }

    /// <summary>Images stored.</summary>
    public int Count => _places.Count;

    /// <summary>The bytes the images take: encoded pixels and places.</summary>
    public long StoredBytes => _storedBytes + ((long)Count * BytesPerImageIndex);

    /// <summary>Appends one image of ImageLength bytes.</summary>
    public void Add(ReadOnlySpan<byte> image)
    {
        if (image.Length != _imageLength)
        {
            throw new ArgumentException($"An image has {_imageLength} bytes; got {image.Length}.", nameof(image));
        }

        int nonZero = image.Length - image.Count((byte)0);
        bool plain = _bitmapLength + nonZero >= image.Length;
        int length = plain ? image.Length : _bitmapLength + nonZero;
        if (_chunks.Count == 0 || _used + length > _chunks[^1].Length)
        {
            long stillExpected = Math.Max((long)_expectedCount - Count, 1) * _imageLength;
            _chunks.Add(new byte[Math.Max(length, (int)Math.Min(ImageSet.ChunkBytes, stillExpected))]);
            _used = 0;
        }

        var target = _chunks[^1].AsSpan(_used, length);
        if (plain)
        {
            image.CopyTo(target);
        }
        else
        {
            var bitmap = target[.._bitmapLength];
            var values = target[_bitmapLength..];
            int k = 0;
            for (int i = 0; i < image.Length; i++)
            {
                if (image[i] != 0)
                {
                    bitmap[i >> 3] |= (byte)(1 << (i & 7));
                    values[k++] = image[i];
                }
            }
        }

        _places.Add(((long)(_chunks.Count - 1) << 32) | (plain ? PlainFlag : 0) | (uint)_used);
        _used += length;
        _storedBytes += length;
    }

    /// <summary>Gives the last chunk back its unused tail once every image is in (a copy of at most one chunk).</summary>
    public void TrimExcess()
    {
        if (_chunks.Count > 0 && _used < _chunks[^1].Length)
        {
            _chunks[^1] = _chunks[^1].AsSpan(0, _used).ToArray();
        }

        _places.TrimExcess();
    }

    /// <summary>
    /// Writes image <paramref name="index"/> as floats, byte × <paramref name="scale"/>, into <paramref name="pixels"/>
    /// (ImageLength floats). Allocates nothing. Byte to float is exact and the product is rounded once, as when the
    /// reader made floats up front: the same bits.
    /// </summary>
    public void Decode(int index, Span<float> pixels, float scale)
    {
        long place = _places[index];
        var chunk = _chunks[(int)(place >> 32)];
        int offset = (int)(place & (PlainFlag - 1));
        if ((place & PlainFlag) != 0)
        {
            var bytes = chunk.AsSpan(offset, _imageLength);
            for (int i = 0; i < bytes.Length; i++)
            {
                pixels[i] = bytes[i] * scale;
            }

            return;
        }

        // 0 × scale is +0, which is what Clear writes: the zeros need no multiplication to come out the same.
        pixels.Clear();
        var bitmap = chunk.AsSpan(offset, _bitmapLength);
        var values = chunk.AsSpan(offset + _bitmapLength);
        int k = 0;
        for (int b = 0; b < bitmap.Length; b++)
        {
            uint bits = bitmap[b];
            while (bits != 0)
            {
                pixels[(b << 3) + BitOperations.TrailingZeroCount(bits)] = values[k++] * scale;
                bits &= bits - 1;
            }
        }
    }
}
