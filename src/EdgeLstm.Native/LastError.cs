using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Unicode;
using EdgeLstm.IO;

namespace EdgeLstm.Native;

/// <summary>
/// The thread-local message behind <c>edgelstm_last_error()</c>, and the translation of every exception into a status.
/// </summary>
/// <remarks>
/// Each thread's message lives in a pinned managed array of fixed size, so the pointer handed to C stays put until
/// the next call on that thread writes it again, and no native memory is allocated (none to leak).
/// </remarks>
internal static unsafe class LastError
{
    private const int Capacity = 1024;

    [ThreadStatic]
    private static byte[]? t_message;

    /// <summary>The thread's NUL-terminated message ("" when none).</summary>
    public static byte* Pointer
    {
        get
        {
            t_message ??= GC.AllocateArray<byte>(Capacity, pinned: true);
            return (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t_message));
        }
    }

    /// <summary>Called at the start of every export: a successful call leaves an empty message.</summary>
    public static void Clear()
    {
        if (t_message is { } message)
        {
            message[0] = 0;
        }
    }

    /// <summary>Records <paramref name="e"/> as the thread's message ("function: message") and returns its status.</summary>
    public static Status Fail(string function, Exception e)
    {
        var status = StatusOf(e);
        try
        {
            string text = status == Status.Internal ? $"{function}: internal error ({e.GetType().Name}): {e.Message}" : $"{function}: {e.Message}";
            Write(text);
        }
        catch (OutOfMemoryException)
        {
            // The status still says what happened; the message is best effort.
        }

        return status;
    }

    private static Status StatusOf(Exception e) => e switch
    {
        NativeException n => n.Status,
        ModelFormatException => Status.Format,
        IOException or UnauthorizedAccessException => Status.IO,
        OutOfMemoryException or InsufficientExecutionStackException => Status.OutOfMemory,
        NotSupportedException or PlatformNotSupportedException => Status.Unsupported,
        ArgumentException or OverflowException => Status.InvalidArgument,
        ObjectDisposedException => Status.InvalidHandle,
        _ => Status.Internal,
    };

    private static void Write(string text)
    {
        t_message ??= GC.AllocateArray<byte>(Capacity, pinned: true);
        var destination = t_message.AsSpan(0, Capacity - 1);

        // Stops before a character that does not fit whole, so a cut message is still valid UTF-8.
        Utf8.FromUtf16(text, destination, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
        t_message[written] = 0;
    }
}
