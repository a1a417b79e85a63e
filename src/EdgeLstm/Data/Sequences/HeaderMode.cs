namespace EdgeLstm.Data.Sequences;

/// <summary>Whether the first CSV row names the columns.</summary>
public enum HeaderMode
{
    /// <summary>
    /// Decide from the file: a header when any column is chosen by name, otherwise when the first row has a field that
    /// is not empty and not a number in a column read as numbers (a feature column).
    /// </summary>
    Auto = 0,

    /// <summary>The first row is a header.</summary>
    Present = 1,

    /// <summary>Every row is data; columns can be chosen by index only.</summary>
    Absent = 2,
}
