namespace EdgeLstm.Native;

/// <summary>The <c>edgelstm_status</c> enum of <c>include/edgelstm.h</c>; the values are the ABI and never change.</summary>
internal enum Status
{
    Ok = 0,
    NullPointer = 1,
    InvalidArgument = 2,
    WrongLength = 3,
    InvalidHandle = 4,
    Busy = 5,
    IO = 6,
    Format = 7,
    BufferTooSmall = 8,
    OutOfMemory = 9,
    Unsupported = 10,
    Internal = 11,
    ShutDown = 12,
}

/// <summary>A failure the shell itself detects (a NULL pointer, a wrong length, a stale handle), with its status.</summary>
internal sealed class NativeException(Status status, string message) : Exception(message)
{
    public Status Status { get; } = status;
}
