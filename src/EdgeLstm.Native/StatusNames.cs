using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLstm.Native;

/// <summary>The names of the statuses as C strings for <c>edgelstm_status_name</c>.</summary>
/// <remarks>
/// UTF-8 literals live in the library's read-only data for the life of the process, so their addresses can be handed
/// to C without pinning or allocating; each ends with an explicit NUL.
/// </remarks>
internal static unsafe class StatusNames
{
    public static byte* Of(int status) => Pointer(status switch
    {
        (int)Status.Ok => "EDGELSTM_OK\0"u8,
        (int)Status.NullPointer => "EDGELSTM_ERROR_NULL_POINTER\0"u8,
        (int)Status.InvalidArgument => "EDGELSTM_ERROR_INVALID_ARGUMENT\0"u8,
        (int)Status.WrongLength => "EDGELSTM_ERROR_WRONG_LENGTH\0"u8,
        (int)Status.InvalidHandle => "EDGELSTM_ERROR_INVALID_HANDLE\0"u8,
        (int)Status.Busy => "EDGELSTM_ERROR_BUSY\0"u8,
        (int)Status.IO => "EDGELSTM_ERROR_IO\0"u8,
        (int)Status.Format => "EDGELSTM_ERROR_FORMAT\0"u8,
        (int)Status.BufferTooSmall => "EDGELSTM_ERROR_BUFFER_TOO_SMALL\0"u8,
        (int)Status.OutOfMemory => "EDGELSTM_ERROR_OUT_OF_MEMORY\0"u8,
        (int)Status.Unsupported => "EDGELSTM_ERROR_UNSUPPORTED\0"u8,
        (int)Status.Internal => "EDGELSTM_ERROR_INTERNAL\0"u8,
        (int)Status.ShutDown => "EDGELSTM_ERROR_SHUT_DOWN\0"u8,
        _ => "EDGELSTM_UNKNOWN_STATUS\0"u8,
    });

    private static byte* Pointer(ReadOnlySpan<byte> text) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(text));
}
