using System.Runtime.InteropServices;

namespace EdgeLstm.IO;

/// <summary>
/// What a path names, without opening it (opening a FIFO blocks, a device may have side effects). .NET has no API for
/// the Unix file type (dotnet/runtime#85148), so on Linux this asks <c>statx</c>, whose buffer layout is the same on
/// every architecture; elsewhere it can only tell a directory from anything else.
/// </summary>
public static partial class FileKind
{
    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1;
    private const int FileTypeMask = 0xF000;

    /// <summary>A description such as "a regular file", "a FIFO", "a character device"; null when nothing is there.</summary>
    /// <remarks>Symbolic links are followed, so a link is described by what it finally points to.</remarks>
    public static string? Describe(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            return "a directory";
        }

        if (!File.Exists(path))
        {
            return null;
        }

        if (!OperatingSystem.IsLinux())
        {
            return RegularFile;
        }

        return StatType(path) switch
        {
            null => RegularFile,
            0x8000 => RegularFile,
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "a special file",
        };
    }

    /// <summary>What <see cref="Describe"/> says of a regular file.</summary>
    public const string RegularFile = "a regular file";

    private static unsafe int? StatType(string path)
    {
        // struct statx: stx_mode (u16) is at byte 28 on every Linux architecture; 256 bytes in all.
        byte* buffer = stackalloc byte[256];
        try
        {
            return Statx(AtCurrentDirectory, path, 0, StatxType, buffer) == 0 ? *(ushort*)(buffer + 28) & FileTypeMask : null;
        }
        catch (EntryPointNotFoundException)
        {
            return null; // a C library without statx (before glibc 2.28): the directory check above still holds
        }
        catch (DllNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
