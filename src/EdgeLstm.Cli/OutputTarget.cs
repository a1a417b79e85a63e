using EdgeLstm.IO;

namespace EdgeLstm.Cli;

/// <summary>
/// Checks a file a command will write, before the work that produces it: a run must not be lost to a wrong path, a
/// full disk or a device node found only at the end. The rules are <see cref="AtomicFile"/>'s.
/// </summary>
internal static class OutputTarget
{
    // The safetensors header (names, shapes, metadata) on top of the raw floats: a few KB for any model we allow.
    private const long HeaderAllowance = 1 << 20;

    /// <summary>Returns the file that will be written (a symbolic link's final target); throws <see cref="CliException"/> naming <paramref name="option"/>.</summary>
    public static string Check(string option, string path, long dataBytes)
    {
        try
        {
            return AtomicFile.CheckWritable(path, checked(dataBytes + HeaderAllowance));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{option} {e.Message}");
        }
    }
}
