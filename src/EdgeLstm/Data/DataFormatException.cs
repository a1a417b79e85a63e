using EdgeLstm.IO;

namespace EdgeLstm.Data;

/// <summary>
/// A data file (IDX, PGM, checksum list) that cannot be used. The message is one line naming the file, the field and
/// what was expected against what was found, so a command-line tool can print it as it is.
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="file"/>: "<c>file: field: problem</c>".</summary>
    public DataFormatException(string file, string field, string problem, Exception? inner = null)
        : base(OneLine.Of($"{file}: {field}: {problem}"), inner)
    {
        FileName = file;
        Field = field;
    }

    /// <summary>The file (as the caller named it).</summary>
    public string FileName { get; }

    /// <summary>The part of the file that is wrong, e.g. <c>magic number</c> or <c>label 1234</c>.</summary>
    public string Field { get; }
}
