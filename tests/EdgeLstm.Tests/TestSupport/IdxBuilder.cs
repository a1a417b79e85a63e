using System.Buffers.Binary;
using System.IO.Compression;

namespace EdgeLstm.Tests.TestSupport;

/// <summary>Makes IDX files by hand, good or deliberately bad.</summary>
internal static class IdxBuilder
{
    public static byte[] Images(int count, int rows, int columns, Func<int, byte>? pixel = null)
    {
        var payload = new byte[count * rows * columns];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = pixel?.Invoke(i) ?? (byte)(i * 7 % 256);
        }

        return Raw(0x00000803, [count, rows, columns], payload);
    }

    public static byte[] Labels(params byte[] labels) => Raw(0x00000801, [labels.Length], labels);

    public static byte[] Raw(int magic, int[] dimensions, byte[] payload)
    {
        var bytes = new byte[4 + (4 * dimensions.Length) + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dimensions[i]);
        }

        payload.CopyTo(bytes, 4 + (4 * dimensions.Length));
        return bytes;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    /// <summary>Writes a complete MNIST-layout directory of small random-ish images, labels 0–9, optionally with MD5SUMS.</summary>
    public static void WriteDataset(string directory, int train, int test, bool gzip = true, bool checksums = false, int side = 28)
    {
        Directory.CreateDirectory(directory);
        var sums = new List<string>();
        void Write(string name, byte[] content)
        {
            string file = name + (gzip ? ".gz" : string.Empty);
            byte[] bytes = gzip ? Gzip(content) : content;
            File.WriteAllBytes(Path.Combine(directory, file), bytes);
            sums.Add($"{Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(bytes))}  {file}");
        }

        Write("train-images-idx3-ubyte", Images(train, side, side, PixelOf));
        Write("train-labels-idx1-ubyte", Labels([.. Enumerable.Range(0, train).Select(i => (byte)(i % 10))]));
        Write("t10k-images-idx3-ubyte", Images(test, side, side, PixelOf));
        Write("t10k-labels-idx1-ubyte", Labels([.. Enumerable.Range(0, test).Select(i => (byte)(i % 10))]));
        if (checksums)
        {
            File.WriteAllLines(Path.Combine(directory, "MD5SUMS"), sums);
        }

        // Each class lights a different band of rows, so a small model can learn something.
        byte PixelOf(int i)
        {
            int image = i / (side * side);
            int row = i % (side * side) / side;
            return (byte)(row / 3 == image % 10 ? 255 : (i * 31 % 17));
        }
    }
}
