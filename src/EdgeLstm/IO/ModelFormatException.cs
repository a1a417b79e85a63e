namespace EdgeLstm.IO;

/// <summary>
/// A model or checkpoint file that cannot be loaded (or saved). The message is one line naming the file, the field
/// and what was expected against what was found, fit to be printed by a command-line tool as it is.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="file"/>: "<c>file: field: problem</c>".</summary>
    public ModelFormatException(string file, string field, string problem, Exception? inner = null)
        : base(OneLine.Of($"{file}: {field}: {problem}"), inner)
    {
        FileName = file;
        Field = field;
    }

    /// <summary>The file (or the name given to a buffer).</summary>
    public string FileName { get; }

    /// <summary>The part that is wrong, e.g. <c>header length</c> or <c>tensor lstm.weight_hh_l0: shape</c>.</summary>
    public string Field { get; }
}
