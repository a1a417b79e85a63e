using System.Text;

namespace EdgeLstm.Data;

/// <summary>
/// Reads a greyscale Netpbm image: binary (<c>P5</c>) or ASCII (<c>P2</c>), comments allowed in the header, maximum value
/// up to 65535. Pixels are scaled to [0, 1] by the maximum value, so white is 1 (MNIST digits are white on black).
/// </summary>
public static class PgmReader
{
    /// <summary>The largest side accepted.</summary>
    public const int MaxSide = 4096;

    /// <summary>Reads <paramref name="path"/>; returns a one-image set.</summary>
    public static ImageSet Read(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>Reads a PGM from bytes; <paramref name="source"/> names it in messages.</summary>
    public static ImageSet Read(byte[] content, string source)
    {
        ArgumentNullException.ThrowIfNull(content);
        int position = 0;
        string magic = Token(content, ref position, source, "magic number");
        bool binary = magic switch
        {
            "P5" => true,
            "P2" => false,
            _ => throw new DataFormatException(source, "magic number", $"expected P5 (binary PGM) or P2 (ASCII PGM), found \"{magic}\""),
        };
        int width = Number(content, ref position, source, "width", 1, MaxSide);
        int height = Number(content, ref position, source, "height", 1, MaxSide);
        int max = Number(content, ref position, source, "maximum value", 1, 65535);
        var pixels = new float[width * height];
        if (binary)
        {
            // Exactly one whitespace byte separates the header from the raster.
            position++;
            int bytesPerPixel = max < 256 ? 1 : 2;
            long needed = (long)pixels.Length * bytesPerPixel;
            if (content.Length - position < needed)
            {
                throw new DataFormatException(source, "pixel data", $"expected {needed} bytes for {width}×{height}, found {Math.Max(0, content.Length - position)} (file truncated)");
            }

            for (int i = 0; i < pixels.Length; i++)
            {
                int value = bytesPerPixel == 1 ? content[position + i] : (content[position + (2 * i)] << 8) | content[position + (2 * i) + 1];
                pixels[i] = Scale(value, max, source, i);
            }
        }
        else
        {
            for (int i = 0; i < pixels.Length; i++)
            {
                int value = Number(content, ref position, source, $"pixel {i}", 0, 65535);
                pixels[i] = Scale(value, max, source, i);
            }
        }

        return new ImageSet(1, height, width, pixels);
    }

    private static float Scale(int value, int max, string source, int index)
    {
        return value > max
            ? throw new DataFormatException(source, $"pixel {index}", $"expected 0 to {max} (the maximum value), found {value}")
            : (float)value / max;
    }

    private static int Number(byte[] content, ref int position, string source, string field, int min, int max)
    {
        string token = Token(content, ref position, source, field);
        return int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new DataFormatException(source, field, $"expected a whole number from {min} to {max}, found \"{token}\"");
    }

    private static string Token(byte[] content, ref int position, string source, string field)
    {
        while (position < content.Length)
        {
            byte c = content[position];
            if (c == (byte)'#')
            {
                while (position < content.Length && content[position] != (byte)'\n')
                {
                    position++;
                }
            }
            else if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                position++;
            }
            else
            {
                break;
            }
        }

        int start = position;
        while (position < content.Length && content[position] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'#'))
        {
            position++;
        }

        return position == start || position - start > 16
            ? throw new DataFormatException(source, field, position == start ? "expected a value, found the end of the file (file truncated)" : "expected a short header token, found a long run of bytes")
            : Encoding.ASCII.GetString(content, start, position - start);
    }
}
