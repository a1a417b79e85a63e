using System.Globalization;
using System.Text;

namespace EdgeLstm.Data;

/// <summary>
/// Reads a greyscale Netpbm image: binary (<c>P5</c>) or ASCII (<c>P2</c>), comments allowed in the header, maximum value
/// up to 65535. Pixels are scaled to [0, 1] by the maximum value, so white is 1 (MNIST digits are white on black).
/// </summary>
/// <remarks>
/// Memory and reading are bounded by the image the header declares, never by the input: the header is at most
/// <see cref="MaxHeaderBytes"/>; a <c>P5</c> raster is read to exactly its declared size plus one byte, to refuse
/// trailing data; a <c>P2</c> raster to at most <see cref="MaxAsciiBytesPerPixel"/> bytes a pixel. Buffers grow as
/// bytes arrive, so <c>/dev/zero</c> or a pipe that never ends costs a few kilobytes and a quick error. A caller that
/// knows the size it needs (28×28 for MNIST) passes it, and a different size is refused before the raster is read.
/// </remarks>
public static class PgmReader
{
    /// <summary>The largest side accepted.</summary>
    public const int MaxSide = 4096;

    /// <summary>The longest header accepted (magic, sizes, maximum value and comments), in bytes.</summary>
    public const int MaxHeaderBytes = 4096;

    /// <summary>The most bytes an ASCII (<c>P2</c>) pixel may take with its separators ("65535" and a few spaces).</summary>
    public const int MaxAsciiBytesPerPixel = 16;

    /// <summary>Reads <paramref name="path"/>; returns a one-image set. Works on pipes and devices too.</summary>
    /// <param name="width">When given, the width the image must have (checked before the raster is read).</param>
    /// <param name="height">When given, the height the image must have.</param>
    public static ImageSet Read(string path, int? width = null, int? height = null)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        return Read(file, path, width, height);
    }

    /// <summary>Reads a PGM from bytes; <paramref name="source"/> names it in messages.</summary>
    public static ImageSet Read(byte[] content, string source)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var stream = new MemoryStream(content, writable: false);
        return Read(stream, source);
    }

    /// <summary>Reads a PGM from a stream (which need not seek); <paramref name="source"/> names it in messages.</summary>
    public static ImageSet Read(Stream stream, string source, int? width = null, int? height = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var input = new Input(stream, source, MaxHeaderBytes);
        string magic = Token(input, "magic number");
        bool binary = magic switch
        {
            "P5" => true,
            "P2" => false,
            _ => throw new DataFormatException(source, "magic number", $"expected P5 (binary PGM) or P2 (ASCII PGM), found \"{magic}\""),
        };
        int columns = Number(input, "width", 1, MaxSide);
        int rows = Number(input, "height", 1, MaxSide);
        int max = Number(input, "maximum value", 1, 65535);
        if ((width is { } w && w != columns) || (height is { } h && h != rows))
        {
            throw new DataFormatException(source, "size", $"expected {width?.ToString(CultureInfo.InvariantCulture) ?? "any"}×{height?.ToString(CultureInfo.InvariantCulture) ?? "any"} pixels, found {columns}×{rows}");
        }

        int count = columns * rows;
        return binary ? ReadBinary(input, columns, rows, max) : ReadAscii(input, columns, rows, max, count);
    }

    private static ImageSet ReadBinary(Input input, int columns, int rows, int max)
    {
        // Exactly one whitespace byte separates the header from the raster (Token stopped on it).
        if (input.Peek() < 0)
        {
            throw new DataFormatException(input.Source, "pixel data", "expected the raster after the header, found the end of the file (file truncated)");
        }

        input.Advance();
        int bytesPerPixel = max < 256 ? 1 : 2;
        int needed = columns * rows * bytesPerPixel;
        input.SetLimit(input.Position + needed + 1L, "pixel data");
        int got = input.Fill(needed + 1);
        if (got < needed)
        {
            throw new DataFormatException(input.Source, "pixel data", $"expected {needed} bytes for {columns}×{rows}, found {got} (file truncated)");
        }

        if (got > needed)
        {
            throw new DataFormatException(input.Source, "pixel data", $"expected {needed} bytes for {columns}×{rows}, found more (trailing data after the image)");
        }

        var pixels = new float[columns * rows];
        var raster = input.Remaining;
        for (int i = 0; i < pixels.Length; i++)
        {
            int value = bytesPerPixel == 1 ? raster[i] : (raster[2 * i] << 8) | raster[(2 * i) + 1];
            pixels[i] = Scale(value, max, input.Source, i);
        }

        return new ImageSet(1, rows, columns, pixels);
    }

    private static ImageSet ReadAscii(Input input, int columns, int rows, int max, int count)
    {
        input.SetLimit(input.Position + ((long)count * MaxAsciiBytesPerPixel) + MaxHeaderBytes, "pixel data");

        // Each pixel takes a digit and a separator: allocate by the header's claim only once those bytes exist (when
        // they do not, the scan below stops at the pixel where the file ends, and names it).
        int minimum = (2 * count) - 1;
        bool present = input.Fill(minimum) >= minimum;
        var pixels = present ? new float[count] : [];
        for (int i = 0; i < count; i++)
        {
            float pixel = Scale(Number(input, $"pixel {i}", 0, 65535), max, input.Source, i);
            if (present)
            {
                pixels[i] = pixel;
            }
        }

        if (!present)
        {
            throw new DataFormatException(input.Source, "pixel data", $"expected at least {minimum} bytes for {count} ASCII pixels, found fewer (file truncated)");
        }

        SkipSpaceAndComments(input);
        if (input.Peek() >= 0)
        {
            throw new DataFormatException(input.Source, "pixel data", $"expected {count} pixels, found more (trailing data after the image)");
        }

        return new ImageSet(1, rows, columns, pixels);
    }

    private static float Scale(int value, int max, string source, int index)
    {
        return value > max
            ? throw new DataFormatException(source, $"pixel {index}", $"expected 0 to {max} (the maximum value), found {value}")
            : (float)value / max;
    }

    private static int Number(Input input, string field, int min, int max)
    {
        string token = Token(input, field);
        return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new DataFormatException(input.Source, field, $"expected a whole number from {min} to {max}, found \"{token}\"");
    }

    private static void SkipSpaceAndComments(Input input)
    {
        for (int c = input.Peek(); c >= 0; c = input.Peek())
        {
            if (c == '#')
            {
                while (input.Peek() is int b && b >= 0 && b != '\n')
                {
                    input.Advance();
                }
            }
            else if (IsSpace(c))
            {
                input.Advance();
            }
            else
            {
                return;
            }
        }
    }

    private static bool IsSpace(int c) => c == ' ' || c == '\t' || c == '\r' || c == '\n';

    private static string Token(Input input, string field)
    {
        SkipSpaceAndComments(input);
        var token = new StringBuilder();
        for (int c = input.Peek(); c >= 0 && !IsSpace(c) && c != '#'; c = input.Peek())
        {
            if (token.Length == 16)
            {
                throw new DataFormatException(input.Source, field, "expected a short header token, found a long run of bytes");
            }

            token.Append(c is >= 0x20 and < 0x7f ? (char)c : '?');
            input.Advance();
        }

        return token.Length == 0
            ? throw new DataFormatException(input.Source, field, "expected a value, found the end of the file (file truncated)")
            : token.ToString();
    }

    /// <summary>
    /// The bytes of a stream, read on demand into a buffer that grows as they arrive, never past the limit set
    /// (bytes in all): reaching the limit is an error naming it.
    /// </summary>
    private sealed class Input(Stream stream, string source, long limit)
    {
        private byte[] _buffer = new byte[256];
        private int _length;

        public string Source { get; } = source;

        public int Position { get; private set; }

        private long _limit = limit;
        private string _limitField = "header";

        /// <summary>The bytes read but not yet consumed.</summary>
        public ReadOnlySpan<byte> Remaining => _buffer.AsSpan(Position, _length - Position);

        /// <summary>The next byte, or −1 at the end of the stream.</summary>
        public int Peek() => Fill(1) > 0 ? _buffer[Position] : -1;

        public void Advance() => Position++;

        /// <summary>From now on, at most <paramref name="limit"/> bytes in all; past it, <paramref name="field"/> is at fault.</summary>
        public void SetLimit(long limit, string field)
        {
            _limit = limit;
            _limitField = field;
        }

        /// <summary>Reads until <paramref name="wanted"/> bytes past the position are held or the stream ends; returns how many are.</summary>
        public int Fill(int wanted)
        {
            while (_length - Position < wanted)
            {
                if (_length >= _limit)
                {
                    throw new DataFormatException(Source, _limitField, $"expected at most {_limit} bytes up to the end of the {_limitField}, found more");
                }

                if (_length == _buffer.Length)
                {
                    Array.Resize(ref _buffer, (int)Math.Min(_limit, 2L * _buffer.Length));
                }

                int read = stream.Read(_buffer, _length, (int)Math.Min(_buffer.Length - _length, _limit - _length));
                if (read == 0)
                {
                    break;
                }

                _length += read;
            }

            return Math.Min(wanted, _length - Position);
        }
    }
}
