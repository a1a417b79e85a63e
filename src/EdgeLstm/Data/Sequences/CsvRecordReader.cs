using System.Buffers;
using System.Text.Unicode;

namespace EdgeLstm.Data.Sequences;

/// <summary>
/// Reads RFC 4180 records from UTF-8 text: fields separated by commas, a field in double quotes may hold commas, line
/// breaks and doubled quotes (<c>""</c> for one quote); lines end with CRLF, LF or CR; a UTF-8 byte order mark at the
/// start is skipped; empty lines at the end of the file are ignored (an empty line before the end is a record with one
/// empty field). Anything else — a quote inside an unquoted field, text after a closing quote, a quote left open, a
/// record longer than <see cref="MaxRecordChars"/>, bytes that are not UTF-8 — is a <see cref="DataFormatException"/>
/// naming the file and the line. The stream stays the caller's: nothing here closes it.
/// </summary>
internal sealed class CsvRecordReader
{
    /// <summary>The longest record accepted, so one endless quoted field cannot take the memory of the whole file.</summary>
    public const int MaxRecordChars = 1 << 20;

    private static readonly SearchValues<char> Delimiters = SearchValues.Create(",\n\r\"");

    private readonly Stream _stream;
    private readonly byte[] _bytes = new byte[1 << 14];
    private int _byteStart;
    private int _byteEnd;
    private bool _endOfStream;
    private bool _invalidNext;
    private readonly string _source;
    private readonly char[] _block = new char[1 << 14];
    private int _blockLength;
    private int _blockPosition;
    private bool _atStart = true;
    private int _line = 1;
    private Record _current = new();
    private Record _stashed = new();
    private bool _hasStashed;
    private int _pendingBlanks;

    public CsvRecordReader(Stream stream, string source)
    {
        _stream = stream;
        _source = source;
    }

    /// <summary>The line the current record starts on (1-based).</summary>
    public int Line => _current.Line;

    /// <summary>Fields in the current record.</summary>
    public int FieldCount => _current.Count;

    /// <summary>Field <paramref name="index"/> of the current record, quotes removed.</summary>
    public ReadOnlySpan<char> Field(int index) => _current.Field(index);

    /// <summary>Moves to the next record; false at the end of the file.</summary>
    public bool Read()
    {
        if (_pendingBlanks > 0)
        {
            _pendingBlanks--;
            _current.SetBlank(_current.Line + 1);
            return true;
        }

        if (_hasStashed)
        {
            (_current, _stashed) = (_stashed, _current);
            _hasStashed = false;
            return true;
        }

        if (!Parse(_current))
        {
            return false;
        }

        if (!_current.IsBlank)
        {
            return true;
        }

        // A blank line counts only when a record follows it: look ahead past the run of blank lines.
        int blankLine = _current.Line;
        int blanks = 1;
        while (Parse(_stashed))
        {
            if (!_stashed.IsBlank)
            {
                _hasStashed = true;
                _pendingBlanks = blanks - 1;
                _current.SetBlank(blankLine);
                return true;
            }

            blanks++;
        }

        return false;
    }

    private bool Parse(Record record)
    {
        int c = Next();
        if (c < 0)
        {
            return false;
        }

        record.Start(_line);
        while (true)
        {
            // At the start of a field.
            if (c == '"')
            {
                int quoteLine = _line;
                while (true)
                {
                    c = Next();
                    if (c < 0)
                    {
                        throw new DataFormatException(_source, $"line {quoteLine}", $"field {record.Count + 1}: expected a closing quote, found the end of the file");
                    }

                    if (c == '"')
                    {
                        c = Next();
                        if (c != '"')
                        {
                            break;
                        }
                    }
                    else if (c == '\n')
                    {
                        _line++;
                    }

                    Append(record, (char)c);
                }

                if (c >= 0 && c != ',' && c != '\n' && c != '\r')
                {
                    throw new DataFormatException(_source, $"line {_line}", $"field {record.Count + 1}: expected a comma or the end of the line after the closing quote, found '{(char)c}'");
                }
            }
            else
            {
                while (c >= 0 && c != ',' && c != '\n' && c != '\r')
                {
                    if (c == '"')
                    {
                        throw new DataFormatException(_source, $"line {_line}", $"field {record.Count + 1}: expected no quote inside an unquoted field (quote the whole field and double the quote)");
                    }

                    Append(record, (char)c);

                    // The rest of the field that is already decoded, up to the next delimiter, in one copy.
                    ReadOnlySpan<char> decoded = _block.AsSpan(_blockPosition, _blockLength - _blockPosition);
                    int run = decoded.IndexOfAny(Delimiters);
                    run = run < 0 ? decoded.Length : run;
                    if (record.Chars + record.Count + run >= MaxRecordChars)
                    {
                        throw TooLong(record);
                    }

                    record.Append(decoded[..run]);
                    _blockPosition += run;
                    c = Next();
                }
            }

            if (record.Count >= MaxRecordChars - record.Chars)
            {
                throw TooLong(record);
            }

            record.EndField();
            if (c == ',')
            {
                c = Next();
                continue;
            }

            if (c == '\r' && Peek() == '\n')
            {
                Next();
            }

            if (c >= 0)
            {
                _line++;
            }

            return true;
        }
    }

    private void Append(Record record, char c)
    {
        if (record.Chars + record.Count >= MaxRecordChars)
        {
            throw TooLong(record);
        }

        record.Append(c);
    }

    private DataFormatException TooLong(Record record) =>
        new(_source, $"line {record.Line}", $"expected a record of at most {MaxRecordChars:N0} characters and separators, found a longer one");

    private int Next()
    {
        int c = Peek();
        if (c >= 0)
        {
            _blockPosition++;
        }

        return c;
    }

    private int Peek()
    {
        if (_blockPosition == _blockLength && !Decode())
        {
            return -1;
        }

        return _block[_blockPosition];
    }

    /// <summary>
    /// Decodes the next characters; false at the end. Decoding stops just before an invalid byte sequence, so the error
    /// is raised when the tokenizer reaches it, at its exact line.
    /// </summary>
    private bool Decode()
    {
        _blockPosition = 0;
        _blockLength = 0;
        while (_blockLength == 0)
        {
            if (_invalidNext)
            {
                throw new DataFormatException(_source, $"line {_line}", "expected UTF-8 text, found bytes that are not UTF-8");
            }

            OperationStatus status = Utf8.ToUtf16(_bytes.AsSpan(_byteStart, _byteEnd - _byteStart), _block, out int read, out int written, replaceInvalidSequences: false, isFinalBlock: _endOfStream);
            _byteStart += read;
            _blockLength = written;
            _invalidNext = status == OperationStatus.InvalidData;
            if (status == OperationStatus.NeedMoreData || (status == OperationStatus.Done && written == 0))
            {
                if (_endOfStream)
                {
                    return _blockLength > 0;
                }

                Fill();
            }
        }

        if (_atStart)
        {
            _atStart = false;
            if (_block[0] == '\uFEFF')
            {
                _blockPosition = 1;
                return _blockLength > 1 || Decode();
            }
        }

        return true;
    }

    /// <summary>Moves undecoded bytes to the front and reads more after them.</summary>
    private void Fill()
    {
        int left = _byteEnd - _byteStart;
        _bytes.AsSpan(_byteStart, left).CopyTo(_bytes);
        _byteStart = 0;
        _byteEnd = left;
        int got = _stream.Read(_bytes, left, _bytes.Length - left);
        _byteEnd += got;
        _endOfStream = got == 0;
    }

    /// <summary>One record's characters and field boundaries, reused from record to record.</summary>
    private sealed class Record
    {
        private char[] _chars = new char[256];
        private int[] _ends = new int[16];

        public int Line { get; private set; }

        public int Count { get; private set; }

        public int Chars { get; private set; }

        public bool IsBlank => Count == 1 && Chars == 0;

        public void Start(int line)
        {
            Line = line;
            Count = 0;
            Chars = 0;
        }

        public void SetBlank(int line)
        {
            Start(line);
            EndField();
        }

        public void Append(char c)
        {
            if (Chars == _chars.Length)
            {
                Array.Resize(ref _chars, _chars.Length * 2);
            }

            _chars[Chars++] = c;
        }

        public void Append(ReadOnlySpan<char> run)
        {
            if (Chars + run.Length > _chars.Length)
            {
                Array.Resize(ref _chars, Math.Max(_chars.Length * 2, Chars + run.Length));
            }

            run.CopyTo(_chars.AsSpan(Chars));
            Chars += run.Length;
        }

        public void EndField()
        {
            if (Count == _ends.Length)
            {
                Array.Resize(ref _ends, _ends.Length * 2);
            }

            _ends[Count++] = Chars;
        }

        public ReadOnlySpan<char> Field(int index)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            int start = index == 0 ? 0 : _ends[index - 1];
            return _chars.AsSpan(start, _ends[index] - start);
        }
    }
}
