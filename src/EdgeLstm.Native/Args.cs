using System.Globalization;
using EdgeLstm.Model;

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

    /// <summary>
    /// A cell-state array (edgelstm_run's final_c, a session's c), the one rule for every entry point that takes one.
    /// A GRU has no cell state, so for a GRU model only NULL with length 0 is accepted: anything else, a NULL pointer
    /// with a non-zero length included, is <see cref="Status.InvalidArgument"/>, because what is wrong is asking for a
    /// state the model does not have, not a missing buffer (and no zeros stand in for one). For an LSTM it is an array
    /// like any other, <see cref="Optional{T}"/> or <see cref="Exact{T}"/> as <paramref name="optional"/> says.
    /// </summary>
    public static Span<float> CellState(CellKind cell, float* pointer, nuint length, int expected, bool optional, string name, string shape, int a, int b = 0, int c = 0)
    {
        if (cell == CellKind.Gru)
        {
            if (pointer != null || length != 0)
            {
                throw new NativeException(Status.InvalidArgument, $"{name} must be NULL with {name}_len 0: the model's layers are GRUs, which have no cell state (their whole state is h)");
            }

            return default;
        }

        return optional ? Optional(pointer, length, expected, name, shape, a, b, c) : Exact(pointer, length, expected, name, shape, a, b, c);
    }

    /// <summary>
    /// Per-sample lengths: an optional array (NULL with length 0 means every sequence is full length) of one per
    /// sequence, each 1 to <paramref name="steps"/> as edgelstm.h says. Checked here because the library's trainer also
    /// takes 0 (an empty slot its own callers fill a short batch with), which the C API does not offer.
    /// </summary>
    public static ReadOnlySpan<int> Lengths(int* lengths, nuint length, int batch, int steps)
    {
        var values = Optional(lengths, length, batch, "lengths", "one per sequence: batch {0}", batch);
        for (int b = 0; b < values.Length; b++)
        {
            if (values[b] < 1 || values[b] > steps)
            {
                throw new NativeException(Status.InvalidArgument, $"lengths[{b}] is {values[b]}; each length must be 1 to the batch's {steps} steps");
            }
        }

        return values;
    }

    /// <summary>
    /// Copies <paramref name="bytes"/> out when they fit. Writes the size it takes to <paramref name="needed"/> on success
    /// and on <see cref="Status.BufferTooSmall"/> only: a NULL pointer writes nothing.
    /// </summary>
    public static void CopyOut(ReadOnlySpan<byte> bytes, byte* buffer, nuint size, nuint* needed, bool terminate)
    {
        SizeQuery(buffer, size, needed, (nuint)bytes.Length + (terminate ? 1u : 0u), "bytes");
        bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
        if (terminate)
        {
            buffer[bytes.Length] = 0;
        }
    }

    /// <summary>As <see cref="CopyOut(ReadOnlySpan{byte}, byte*, nuint, nuint*, bool)"/> for other elements, counted in elements.</summary>
    public static void CopyOut<T>(ReadOnlySpan<T> values, T* buffer, nuint size, nuint* needed)
        where T : unmanaged
    {
        SizeQuery(buffer, size, needed, (nuint)values.Length, "elements");
        values.CopyTo(new Span<T>(buffer, values.Length));
    }

    /// <summary>
    /// The header's size-query convention: NULL checks first (nothing written), then <paramref name="count"/> goes to
    /// *<paramref name="needed"/>, then a buffer smaller than that is <see cref="Status.BufferTooSmall"/>.
    /// </summary>
    private static void SizeQuery(void* buffer, nuint size, nuint* needed, nuint count, string unit)
    {
        NotNull(needed, "needed");
        if (buffer == null && size != 0)
        {
            throw new NativeException(Status.NullPointer, $"buffer is NULL but size is {size}; pass NULL with size 0 to ask for the size");
        }

        *needed = count;
        if (size < count)
        {
            throw new NativeException(Status.BufferTooSmall, $"the buffer holds {size} {unit}; {count} are needed (written to *needed)");
        }
    }
}
