using System.Runtime.InteropServices;

namespace EdgeLstm.IO;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory, is flushed to the disk,
/// then renamed over the target, and the directory is flushed so that the rename itself survives a power cut. A save
/// killed or failing half-way leaves the previous file as it was.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);

        // Same directory, so the rename stays on one file system and is atomic.
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        FlushDirectory(directory);
    }

    /// <summary>
    /// fsync of the directory: until it, the rename lives in the page cache only, and a power cut could bring back the
    /// old directory entry (or, for a new file, none). .NET has no call for it (it refuses to open a directory).
    /// </summary>
    private static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            // Windows has no directory handle to flush; NTFS journals the rename.
            return;
        }

        int fd = Open(directory, 0 /* O_RDONLY: the same value on every Unix */);
        if (fd < 0)
        {
            throw new IOException($"{directory}: cannot open the directory to flush the rename (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            // EINVAL (22 on Linux and the BSDs): a file system that cannot sync directories; the rename is all it offers.
            if (FSync(fd) != 0 && Marshal.GetLastPInvokeError() is int errno && errno != 22)
            {
                throw new IOException($"{directory}: flushing the directory after the rename failed (errno {errno})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }
}
