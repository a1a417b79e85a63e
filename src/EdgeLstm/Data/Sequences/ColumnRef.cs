using System.Globalization;

namespace EdgeLstm.Data.Sequences;

/// <summary>A CSV column chosen by its header name or by its 0-based index.</summary>
public readonly record struct ColumnRef
{
    private ColumnRef(string? name, int index)
    {
        Name = name;
        Index = index;
    }

    /// <summary>The header name, or null when chosen by index.</summary>
    public string? Name { get; }

    /// <summary>The 0-based index, or -1 when chosen by name.</summary>
    public int Index { get; }

    /// <summary>The column with header <paramref name="name"/> (matched exactly, ignoring spaces around the header field).</summary>
    public static ColumnRef ByName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ColumnRef(name, -1);
    }

    /// <summary>The column at 0-based <paramref name="index"/>.</summary>
    public static ColumnRef ByIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new ColumnRef(null, index);
    }

    /// <summary>Reads a command-line choice: digits only are an index, anything else a name.</summary>
    public static ColumnRef Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        return text.All(char.IsAsciiDigit) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? ByIndex(index)
            : ByName(text);
    }

    /// <inheritdoc/>
    public override string ToString() => Name is null ? Index.ToString(CultureInfo.InvariantCulture) : Name;
}
