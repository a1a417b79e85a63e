using System.Globalization;

namespace EdgeLstm.Data.Sequences;

/// <summary>
/// A CSV file read row by row over <see cref="CsvRecordReader"/>: decides whether the first row is a header, resolves
/// columns by name or index, refuses ragged rows, parses numbers invariantly and words every error as
/// "<c>file: line L, column 'name' (index i): problem</c>".
/// </summary>
internal sealed class CsvTable
{
    private readonly CsvRecordReader _reader;
    private bool _firstRowPending;

    /// <summary>
    /// Opens the table at the start of <paramref name="stream"/>. With <see cref="HeaderMode.Auto"/> the first row is a
    /// header when <paramref name="anyByName"/>, or when one of the columns <paramref name="numericColumns"/> picks (given
    /// the field count) holds a field that is neither empty, a number nor <paramref name="alsoData"/>.
    /// </summary>
    public CsvTable(Stream stream, string source, HeaderMode header, bool anyByName, Func<int, IEnumerable<int>> numericColumns, DataText? alsoData = null)
    {
        Source = source;
        _reader = new CsvRecordReader(stream, source);
        if (!_reader.Read())
        {
            throw new DataFormatException(source, "line 1", "expected a header or a data row, found an empty file");
        }

        FieldCount = _reader.FieldCount;
        if (anyByName && header == HeaderMode.Absent)
        {
            throw new DataFormatException(source, "columns", "expected columns chosen by index, since the file has no header; found a column chosen by name");
        }

        HasHeader = header switch
        {
            HeaderMode.Present => true,
            HeaderMode.Absent => false,
            _ => anyByName || numericColumns(FieldCount).Any(c => c < FieldCount && !IsEmpty(c) && !CsvNumbers.TryParse(_reader.Field(c), out _) && alsoData?.Invoke(_reader.Field(c)) != true),
        };
        if (HasHeader)
        {
            Names = new string[FieldCount];
            for (int i = 0; i < FieldCount; i++)
            {
                Names[i] = _reader.Field(i).Trim().ToString();
            }
        }
        else
        {
            _firstRowPending = true;
        }
    }

    /// <summary>Whether a field that is not a number is still data, not a header name (a date, for a time series).</summary>
    public delegate bool DataText(ReadOnlySpan<char> field);

    /// <summary>The file as named in messages.</summary>
    public string Source { get; }

    /// <summary>Fields in every row.</summary>
    public int FieldCount { get; }

    /// <summary>Whether the first row was a header.</summary>
    public bool HasHeader { get; }

    /// <summary>The header names, or null without a header.</summary>
    public string[]? Names { get; }

    /// <summary>The line the current row starts on.</summary>
    public int Line => _reader.Line;

    /// <summary>Moves to the next data row; false at the end. A row with another field count is an error.</summary>
    public bool NextRow()
    {
        if (_firstRowPending)
        {
            _firstRowPending = false;
            return true;
        }

        if (!_reader.Read())
        {
            return false;
        }

        if (_reader.FieldCount != FieldCount)
        {
            throw new DataFormatException(Source, $"line {Line}", $"expected {FieldCount} fields as on line 1, found {_reader.FieldCount}");
        }

        return true;
    }

    /// <summary>Field <paramref name="column"/> of the current row.</summary>
    public ReadOnlySpan<char> Field(int column) => _reader.Field(column);

    /// <summary>Whether field <paramref name="column"/> is empty or blank (a missing value).</summary>
    public bool IsEmpty(int column) => _reader.Field(column).IsWhiteSpace();

    /// <summary>Field <paramref name="column"/> as a finite float32; an empty field is an error (check <see cref="IsEmpty"/> first).</summary>
    public float Number(int column)
    {
        ReadOnlySpan<char> text = Field(column);
        if (!CsvNumbers.TryParse(text, out double value))
        {
            throw Error(column, $"expected a number, found '{Shorten(text)}'");
        }

        if (!double.IsFinite(value) || Math.Abs(value) > float.MaxValue)
        {
            throw Error(column, $"expected a finite number within float32 range, found '{Shorten(text)}'");
        }

        return (float)value;
    }

    /// <summary>The header name of <paramref name="column"/>, or "column i" without a header.</summary>
    public string Name(int column) => Names?[column] ?? "column " + column.ToString(CultureInfo.InvariantCulture);

    /// <summary>How messages name <paramref name="column"/>: "'name' (index i)" or "index i".</summary>
    public string Label(int column) => Names is null ? $"index {column}" : $"'{Shorten(Names[column])}' (index {column})";

    /// <summary>An error at the current row and <paramref name="column"/>.</summary>
    public DataFormatException Error(int column, string problem) => new(Source, $"line {Line}, column {Label(column)}", problem);

    /// <summary>The index of <paramref name="column"/>; an unknown name or an index past the last field is an error.</summary>
    public int Resolve(ColumnRef column, string role)
    {
        if (column.Name is null)
        {
            if (column.Index >= FieldCount)
            {
                throw new DataFormatException(Source, $"{role} column", $"expected an index from 0 to {FieldCount - 1} (the file has {FieldCount} fields per row), found {column.Index}");
            }

            return column.Index;
        }

        int found = Names is null ? -1 : Array.IndexOf(Names, column.Name);
        if (found < 0)
        {
            throw new DataFormatException(Source, $"{role} column", $"expected a column named '{Shorten(column.Name)}', found only {string.Join(", ", (Names ?? []).Select(n => $"'{Shorten(n)}'"))}");
        }

        return found;
    }

    /// <summary>At most 40 characters of a field, control characters escaped, so a message stays one short line.</summary>
    public static string Shorten(ReadOnlySpan<char> text)
    {
        var shown = new System.Text.StringBuilder();
        foreach (char c in text.Length <= 40 ? text : text[..37])
        {
            shown.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' or '\u007f' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        return text.Length <= 40 ? shown.ToString() : shown.Append("...").ToString();
    }
}
