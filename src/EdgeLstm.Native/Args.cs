using System.Globalization;

namespace EdgeLstm.Native;

/// <summary>Checks of what C passes: NULL pointers, counts, and buffer lengths against the shapes.</summary>
internal static unsafe class Args
{
    public static void NotNull(void* pointer, string name)
    {
        if (pointer == null)
        {
            throw new NativeException(Status.NullPointer, $"{name} is NULL");
        }
    }

    public static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new NativeException(Status.InvalidArgument, $"{name} must be at least 1; it is {value}");
        }
    }

    /// <summary>a·b·c as a float count one call can take (a Span holds at most 2^31 − 1).</summary>
    public static int Count(long a, long b, long c = 1)
    {
        // Each factor is a positive int32, so a·b fits; the third factor may not.
        long ab = a * b;
        if (c != 0 && ab > int.MaxValue / c)
        {
            throw new NativeException(Status.InvalidArgument, $"the shapes ask for {a} × {b} × {c} floats, more than one call takes (2^31 − 1)");
        }

        return (int)(ab * c);
    }

    /// <summary>
    /// A required array of exactly <paramref name="expected"/> elements. <paramref name="shape"/> is a composite format
    /// of <paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/> for the message, formatted only on failure
    /// so that a good call allocates nothing.
    /// </summary>
    public static Span<T> Exact<T>(T* pointer, nuint length, int expected, string name, string shape, int a, int b = 0, int c = 0)
        where T : unmanaged
    {
        NotNull(pointer, name);
        if (length != (nuint)expected)
        {
            string dims = string.Format(CultureInfo.InvariantCulture, shape, a, b, c);
            throw new NativeException(Status.WrongLength, $"{name} has length {length}; expected {expected} ({dims})");
        }

        return new Span<T>(pointer, expected);
    }

    /// <summary>An optional array: NULL with length 0 means "skip it" (an empty span); otherwise as <see cref="Exact{T}"/>.</summary>
    public static Span<T> Optional<T>(T* pointer, nuint length, int expected, string name, string shape, int a, int b = 0, int c = 0)
        where T : unmanaged
    {
        if (pointer == null && length == 0)
        {
            return default;
        }

        if (pointer == null)
        {
            throw new NativeException(Status.NullPointer, $"{name} is NULL but {name}_len is {length}; pass NULL with length 0 to skip it");
        }

        return Exact(pointer, length, expected, name, shape, a, b, c);
    }

    /// <summary>Copies <paramref name="bytes"/> out when they fit, and always reports how many bytes that takes.</summary>
    public static void CopyOut(ReadOnlySpan<byte> bytes, byte* buffer, nuint size, nuint* needed, bool terminate)
    {
        NotNull(needed, "needed");
        nuint count = (nuint)bytes.Length + (terminate ? 1u : 0u);
        *needed = count;
        if (buffer == null && size != 0)
        {
            throw new NativeException(Status.NullPointer, $"buffer is NULL but size is {size}; pass NULL with size 0 to ask for the size");
        }

        if (size < count)
        {
            throw new NativeException(Status.BufferTooSmall, $"the buffer holds {size} bytes; {count} are needed (written to *needed)");
        }

        bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
        if (terminate)
        {
            buffer[bytes.Length] = 0;
        }
    }
}
