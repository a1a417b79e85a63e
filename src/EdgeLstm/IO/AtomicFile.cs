using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeLstm.IO;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory, is flushed to the disk,
/// then renamed over the target, and the directory is flushed so that the rename itself survives a power cut. A save
/// killed or failing half-way leaves the previous file as it was.
/// </summary>
/// <remarks>
/// <para>Only regular files are replaced. An existing target that is a directory, a FIFO, a device or a socket is
/// refused: renaming over <c>/dev/null</c> would replace the node with a regular file.</para>
/// <para>A symbolic link is followed to its final target, which is replaced in its own directory (so the rename stays
/// on one file system) while the link itself stays a link; a link to nothing creates its target.</para>
/// <para>Temporaries are named <c>.NAME.PID.GUID.tmp</c>. One left by a process that no longer runs (killed with
/// <c>kill -9</c> during a save) is removed the next time a file is written into that directory.</para>
/// </remarks>
public static partial class AtomicFile
{
    // NAME_MAX: the longest file name (in bytes) Linux file systems take. The temporary adds ".", the process id, a
    // GUID and ".tmp" to the target's name, so a long but legal name is shortened in the temporary's.
    private const int MaxNameBytes = 255;
    private const string TemporarySuffix = ".tmp";

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string target = ResolveTarget(path);
        string temporary = PrepareTemporary(target);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        FlushDirectory(Path.GetDirectoryName(target) ?? ".");
    }

    /// <summary>
    /// Checks, before long work, that <see cref="Write"/> to <paramref name="path"/> can succeed: the target is (or can
    /// become) a regular file, its directory takes a temporary file of the name <see cref="Write"/> will use, and the
    /// disk has <paramref name="expectedBytes"/> free (reserved with a preallocated probe, then released).
    /// Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> with a message naming the path.
    /// </summary>
    /// <returns>The file that will be written (the final target of a symbolic link).</returns>
    public static string CheckWritable(string path, long expectedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedBytes);
        string target = ResolveTarget(path);
        string temporary = PrepareTemporary(target);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, PreallocationSize = expectedBytes };
            using var probe = new FileStream(temporary, options);
        }
        catch (UnauthorizedAccessException)
        {
            throw new UnauthorizedAccessException($"{path}: cannot create files in {Path.GetDirectoryName(target)} (permission denied).");
        }
        catch (IOException e)
        {
            throw new IOException($"{path}: cannot write {expectedBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes in {Path.GetDirectoryName(target)}: {e.Message}", e);
        }
        finally
        {
            TryDelete(temporary);
        }

        return target;
    }

    /// <summary>
    /// The file a write to <paramref name="path"/> replaces: the absolute path, or a symbolic link's final target.
    /// Throws <see cref="IOException"/> when that exists and is not a regular file.
    /// </summary>
    public static string ResolveTarget(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (Path.EndsInDirectorySeparator(full))
        {
            throw new IOException($"{path}: names a directory, not a file.");
        }

        if (new FileInfo(full).LinkTarget is not null)
        {
            full = File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }

        int nameBytes = Encoding.UTF8.GetByteCount(Path.GetFileName(full));
        if (nameBytes > MaxNameBytes)
        {
            throw new IOException($"{full}: the file name is {nameBytes} bytes long; file systems take at most {MaxNameBytes}.");
        }

        string? kind = FileKind.Describe(full);
        if (kind is not null && kind != FileKind.RegularFile)
        {
            string via = full == Path.GetFullPath(path) ? string.Empty : $" (the target of the symbolic link {path})";
            throw new IOException($"{full}{via} is {kind}, not a regular file: refusing to replace it.");
        }

        return full;
    }

    /// <summary>
    /// The temporary name for <paramref name="target"/>: <c>.NAME.PID.GUID.tmp</c> in the same directory, with NAME
    /// shortened so the whole stays within <see cref="MaxNameBytes"/>.
    /// </summary>
    internal static string TemporaryName(string target)
    {
        string suffix = string.Create(CultureInfo.InvariantCulture, $".{Environment.ProcessId}.{Guid.NewGuid():N}{TemporarySuffix}");
        string name = Path.GetFileName(target);
        int budget = MaxNameBytes - 1 - suffix.Length;
        while (Encoding.UTF8.GetByteCount(name) > budget)
        {
            // Cut whole characters (a surrogate pair is one), so the shortened name is still valid UTF-8.
            name = name[..(char.IsLowSurrogate(name[^1]) && name.Length > 1 ? name.Length - 2 : name.Length - 1)];
        }

        return Path.Combine(Path.GetDirectoryName(target)!, "." + name + suffix);
    }

    /// <summary>
    /// Deletes temporaries of our naming left in <paramref name="directory"/> by processes that no longer run.
    /// Only on Linux, where /proc tells whether a process id is alive; elsewhere nothing is removed.
    /// </summary>
    internal static void RemoveStaleTemporaries(string directory)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self"))
        {
            return;
        }

        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, ".*" + TemporarySuffix).ToList();
        }
        catch (IOException)
        {
            return;
        }
        catch (UnauthorizedAccessException)
        {
            return;
        }

        foreach (string file in candidates)
        {
            if (OwnerOf(Path.GetFileName(file)) is { } pid && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                TryDelete(file);
            }
        }
    }

    /// <summary>The process id in a name of the form <c>.NAME.PID.GUID.tmp</c>, or null for any other name.</summary>
    internal static int? OwnerOf(string fileName)
    {
        if (!fileName.StartsWith('.') || !fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = fileName[..^TemporarySuffix.Length].Split('.');
        if (parts.Length < 4 || parts[^1].Length != 32 || !parts[^1].All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        return parts[^2].Length > 0 && parts[^2].All(char.IsAsciiDigit) && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0
            ? pid
            : null;
    }

    private static string PrepareTemporary(string target)
    {
        string directory = Path.GetDirectoryName(target) ?? ".";
        Directory.CreateDirectory(directory);
        RemoveStaleTemporaries(directory);
        return TemporaryName(target);
    }

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
}
