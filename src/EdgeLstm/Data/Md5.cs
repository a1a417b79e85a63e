using System.Buffers.Binary;

namespace EdgeLstm.Data;

/// <summary>
/// MD5 (RFC 1321), written out so that checking a data set needs no platform crypto library: on Linux the framework's
/// hashes call into OpenSSL, which a trimmed single-file binary on a small board should not have to find. MD5 is used
/// only to recognise files, never for security.
/// </summary>
public static class Md5
{
    private static readonly uint[] K = BuildTable();

    private static readonly int[] Shift =
    [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    /// <summary>The digest of a stream, read to its end, as 32 lower-case hex digits.</summary>
    public static string HashHex(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var md5 = new Incremental();
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            md5.Append(buffer.AsSpan(0, read));
        }

        return md5.HashHex();
    }

    /// <summary>The digest of a file, as 32 lower-case hex digits.</summary>
    public static string HashFile(string path)
    {
        using var file = File.OpenRead(path);
        return HashHex(file);
    }

    /// <summary>
    /// The digest of data appended piece by piece (what <c>IncrementalHash</c> does with the platform library), for data
    /// that is produced rather than read from a file.
    /// </summary>
    public sealed class Incremental
    {
        private readonly byte[] _pending = new byte[64];
        private uint _a = 0x67452301, _b = 0xefcdab89, _c = 0x98badcfe, _d = 0x10325476;
        private int _filled;
        private long _total;

        /// <summary>Adds <paramref name="data"/> to what is hashed.</summary>
        public void Append(ReadOnlySpan<byte> data)
        {
            _total += data.Length;
            if (_filled > 0)
            {
                int take = Math.Min(64 - _filled, data.Length);
                data[..take].CopyTo(_pending.AsSpan(_filled));
                _filled += take;
                data = data[take..];
                if (_filled < 64)
                {
                    return;
                }

                Block(_pending, ref _a, ref _b, ref _c, ref _d);
                _filled = 0;
            }

            for (; data.Length >= 64; data = data[64..])
            {
                Block(data[..64], ref _a, ref _b, ref _c, ref _d);
            }

            data.CopyTo(_pending);
            _filled = data.Length;
        }

        /// <summary>The digest of everything appended, as 32 lower-case hex digits.</summary>
        public string HashHex()
        {
            // Padding: 0x80, zeros to 56 mod 64, then the length in bits, little-endian.
            Span<byte> tail = stackalloc byte[128];
            tail.Clear();
            _pending.AsSpan(0, _filled).CopyTo(tail);
            tail[_filled] = 0x80;
            int tailLength = _filled < 56 ? 64 : 128;
            BinaryPrimitives.WriteUInt64LittleEndian(tail.Slice(tailLength - 8), (ulong)_total * 8);
            uint a = _a, b = _b, c = _c, d = _d;
            for (int i = 0; i < tailLength; i += 64)
            {
                Block(tail.Slice(i, 64), ref a, ref b, ref c, ref d);
            }

            Span<byte> digest = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(digest, a);
            BinaryPrimitives.WriteUInt32LittleEndian(digest[4..], b);
            BinaryPrimitives.WriteUInt32LittleEndian(digest[8..], c);
            BinaryPrimitives.WriteUInt32LittleEndian(digest[12..], d);
            return Convert.ToHexStringLower(digest);
        }
    }

    private static void Block(ReadOnlySpan<byte> block, ref uint a0, ref uint b0, ref uint c0, ref uint d0)
    {
        Span<uint> m = stackalloc uint[16];
        for (int i = 0; i < 16; i++)
        {
            m[i] = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(4 * i, 4));
        }

        uint a = a0, b = b0, c = c0, d = d0;
        for (int i = 0; i < 64; i++)
        {
            uint f;
            int g;
            switch (i >> 4)
            {
                case 0:
                    f = (b & c) | (~b & d);
                    g = i;
                    break;
                case 1:
                    f = (d & b) | (~d & c);
                    g = ((5 * i) + 1) & 15;
                    break;
                case 2:
                    f = b ^ c ^ d;
                    g = ((3 * i) + 5) & 15;
                    break;
                default:
                    f = c ^ (b | ~d);
                    g = (7 * i) & 15;
                    break;
            }

            f += a + K[i] + m[g];
            a = d;
            d = c;
            c = b;
            b += uint.RotateLeft(f, Shift[i]);
        }

        a0 += a;
        b0 += b;
        c0 += c;
        d0 += d;
    }

    private static uint[] BuildTable()
    {
        var k = new uint[64];
        for (int i = 0; i < 64; i++)
        {
            k[i] = (uint)(long)Math.Floor(Math.Abs(Math.Sin(i + 1)) * 4294967296.0);
        }

        return k;
    }
}
