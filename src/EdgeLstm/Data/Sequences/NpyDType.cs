using System.Buffers.Binary;
using System.Globalization;

namespace EdgeLstm.Data.Sequences;

/// <summary>
/// The NumPy element types a data file may use: float16/32/64 and signed or unsigned integers of 1 to 8 bytes, either
/// byte order (big-endian is converted). Anything else — bool, complex, strings, objects, dates, structured records — is
/// refused by name.
/// </summary>
internal readonly record struct NpyDType(char Kind, int Size, bool BigEndian)
{
    /// <summary>Whether elements are integers (y then holds classes, not values).</summary>
    public bool IsInteger => Kind is 'i' or 'u';

    /// <summary>Parses a <c>descr</c> such as <c>&lt;f4</c>; an unsupported one is an error naming it.</summary>
    public static NpyDType Parse(string descr, Func<string, DataFormatException> error)
    {
        if (descr.Length >= 3 && descr[0] is '<' or '>' or '|' or '=' && descr[1] is 'f' or 'i' or 'u'
            && int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
        {
            bool supported = descr[1] == 'f' ? size is 2 or 4 or 8 : size is 1 or 2 or 4 or 8;
            bool orderFits = descr[0] != '|' || size == 1;
            if (supported && orderFits)
            {
                // '=' is native order, little-endian on every board this runs on; '|' is a single byte.
                return new NpyDType(descr[1], size, descr[0] == '>');
            }
        }

        throw error($"expected a dtype of float16/32/64 or an integer of 1 to 8 bytes (e.g. '<f4', '<i8'), found '{CsvTable.Shorten(descr)}'{Describe(descr)}");
    }

    /// <summary>Converts whole elements of <paramref name="bytes"/> into <paramref name="values"/> (one per element).</summary>
    public void ReadAll(ReadOnlySpan<byte> bytes, Span<double> values)
    {
        if (Kind == 'f' && Size == 4 && !BigEndian && BitConverter.IsLittleEndian)
        {
            // The common case (what NumPy writes for float32) without a per-element dispatch.
            ReadOnlySpan<float> floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = floats[i];
            }

            return;
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Read(bytes.Slice(i * Size, Size));
        }
    }

    /// <summary>Element <paramref name="bytes"/> (exactly <see cref="Size"/> bytes) as a double (exact for every supported type but 64-bit integers beyond 2^53).</summary>
    public double Read(ReadOnlySpan<byte> bytes) => (Kind, Size, BigEndian) switch
    {
        ('f', 4, false) => BinaryPrimitives.ReadSingleLittleEndian(bytes),
        ('f', 4, true) => BinaryPrimitives.ReadSingleBigEndian(bytes),
        ('f', 8, false) => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
        ('f', 8, true) => BinaryPrimitives.ReadDoubleBigEndian(bytes),
        ('f', 2, false) => (double)BinaryPrimitives.ReadHalfLittleEndian(bytes),
        ('f', 2, true) => (double)BinaryPrimitives.ReadHalfBigEndian(bytes),
        ('i', 1, _) => (sbyte)bytes[0],
        ('u', 1, _) => bytes[0],
        ('i', 2, false) => BinaryPrimitives.ReadInt16LittleEndian(bytes),
        ('i', 2, true) => BinaryPrimitives.ReadInt16BigEndian(bytes),
        ('u', 2, false) => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
        ('u', 2, true) => BinaryPrimitives.ReadUInt16BigEndian(bytes),
        ('i', 4, false) => BinaryPrimitives.ReadInt32LittleEndian(bytes),
        ('i', 4, true) => BinaryPrimitives.ReadInt32BigEndian(bytes),
        ('u', 4, false) => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        ('u', 4, true) => BinaryPrimitives.ReadUInt32BigEndian(bytes),
        ('i', 8, false) => BinaryPrimitives.ReadInt64LittleEndian(bytes),
        ('i', 8, true) => BinaryPrimitives.ReadInt64BigEndian(bytes),
        ('u', 8, false) => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        ('u', 8, true) => BinaryPrimitives.ReadUInt64BigEndian(bytes),
        _ => throw new InvalidOperationException($"No reader for {Kind}{Size}."),
    };

    private static string Describe(string descr) => descr.Length < 2 ? string.Empty : descr[1] switch
    {
        'b' or '?' => " (bool)",
        'c' => " (complex)",
        'U' or 'S' or 'a' => " (strings)",
        'O' => " (Python objects)",
        'M' or 'm' => " (dates or time spans)",
        'V' => " (raw records)",
        _ => string.Empty,
    };
}
