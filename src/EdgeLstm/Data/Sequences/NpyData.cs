namespace EdgeLstm.Data.Sequences;

/// <summary>
/// Reads the data after a <see cref="NpyHeader"/>: exactly the bytes the shape announces, element by element, then
/// checks that the array ends there — so a shape header that claims more or less than the bytes present is refused,
/// and a compressed member is never inflated past its declared size plus one byte.
/// </summary>
internal static class NpyData
{
    /// <summary>Takes the elements from <paramref name="first"/> on (row-major), converted to double.</summary>
    public delegate void Sink(long first, ReadOnlySpan<double> values);

    /// <summary>
    /// Refuses the array before reading when the size the container declares (<paramref name="declaredBytes"/>, or
    /// null when unknown) is not the header plus the data the shape needs.
    /// </summary>
    public static void CheckDeclaredSize(NpyHeader header, int headerBytes, long? declaredBytes, string source, string array)
    {
        if (declaredBytes is { } declared && declared - headerBytes != header.DataBytes)
        {
            throw new DataFormatException(source, $"{array}: 'shape'", $"{header.ShapeText} of {header.Type.Kind}{header.Type.Size} needs {Size(header.DataBytes)} of data, found {declared - headerBytes:N0} bytes");
        }
    }

    /// <summary>Reads every element into <paramref name="sink"/>; a short or long data section is an error.</summary>
    public static void Read(Stream stream, NpyHeader header, string source, string array, Sink sink)
    {
        int size = header.Type.Size;
        var buffer = new byte[64 * 1024];
        var values = new double[buffer.Length / size];
        long remaining = header.DataBytes;
        long index = 0;
        while (remaining > 0)
        {
            int want = (int)Math.Min(buffer.Length, remaining);
            int got = stream.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
            if (got < want)
            {
                long found = header.DataBytes - remaining + got;
                throw new DataFormatException(source, $"{array}: 'shape'", $"{header.ShapeText} needs {Size(header.DataBytes)} of data, found {found:N0} bytes (truncated, or the shape is wrong)");
            }

            int count = got / size;
            header.Type.ReadAll(buffer.AsSpan(0, got), values.AsSpan(0, count));
            sink(index, values.AsSpan(0, count));
            index += count;

            remaining -= got;
        }

        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0)
        {
            throw new DataFormatException(source, $"{array}: 'shape'", $"{header.ShapeText} needs {Size(header.DataBytes)} of data, found more (the shape is wrong, or data trails the array)");
        }
    }

    private static string Size(long bytes) => bytes == long.MaxValue ? "more than 2^63 bytes" : $"{bytes:N0} bytes";
}
