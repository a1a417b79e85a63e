using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace EdgeLstm.Data.Sequences;

/// <summary>
/// The header of a NumPy <c>.npy</c> array, parsed strictly: the magic <c>\x93NUMPY</c>, version 1.0, 2.0 or 3.0, the
/// header length (2 bytes in version 1, 4 after), then a Python dict literal with exactly the keys <c>'descr'</c>,
/// <c>'fortran_order'</c> and <c>'shape'</c>, followed by spaces and a newline only. Fortran order is refused (the data
/// would be transposed); the data size is the checked product of the shape and the element size.
/// </summary>
internal sealed class NpyHeader
{
    /// <summary>The longest header accepted (NumPy's own reader stops at 10,000 bytes by default).</summary>
    public const int MaxHeaderBytes = 1 << 16;

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private NpyHeader(NpyDType type, long[] shape, long elements, long dataBytes)
    {
        Type = type;
        Shape = shape;
        Elements = elements;
        DataBytes = dataBytes;
    }

    /// <summary>The element type.</summary>
    public NpyDType Type { get; }

    /// <summary>The dimensions.</summary>
    public long[] Shape { get; }

    /// <summary>The product of the dimensions (saturated at <see cref="long.MaxValue"/>).</summary>
    public long Elements { get; }

    /// <summary>The bytes of data the shape announces (saturated at <see cref="long.MaxValue"/>).</summary>
    public long DataBytes { get; }

    /// <summary>The shape as NumPy prints it, e.g. <c>(2, 3)</c> or <c>(5,)</c>.</summary>
    public string ShapeText => Format(Shape);

    /// <summary>Formats a shape as NumPy prints it.</summary>
    public static string Format(long[] shape) => shape.Length == 1
        ? $"({shape[0]},)"
        : "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>Reads the header from <paramref name="stream"/>, leaving it at the first data byte; returns the header's length in bytes too.</summary>
    public static NpyHeader Read(Stream stream, string source, string array, out int headerBytes)
    {
        DataFormatException Error(string field, string problem) => new(source, $"{array}: {field}", problem);

        Span<byte> prefix = stackalloc byte[12];
        int got = stream.ReadAtLeast(prefix[..10], 10, throwOnEndOfStream: false);
        if (got < 10 || !prefix[..6].SequenceEqual(Magic))
        {
            throw Error("magic", got < 6 ? $"expected the .npy magic \\x93NUMPY, found {got} bytes (file truncated)" : "expected the .npy magic \\x93NUMPY, found other bytes (not a .npy array)");
        }

        byte major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
        {
            throw Error("version", $"expected 1.0, 2.0 or 3.0, found {major}.{minor}");
        }

        long length;
        int prefixBytes;
        if (major == 1)
        {
            length = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..10]);
            prefixBytes = 10;
        }
        else
        {
            if (stream.ReadAtLeast(prefix[10..12], 2, throwOnEndOfStream: false) < 2)
            {
                throw Error("header length", "expected 4 bytes, found fewer (file truncated)");
            }

            length = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..12]);
            prefixBytes = 12;
        }

        if (length > MaxHeaderBytes)
        {
            throw Error("header length", $"expected at most {MaxHeaderBytes:N0} bytes, found {length:N0}");
        }

        var text = new byte[length];
        int read = stream.ReadAtLeast(text, text.Length, throwOnEndOfStream: false);
        if (read < length)
        {
            throw Error("header", $"expected {length} bytes, found {read} (file truncated)");
        }

        if (text.Any(b => b > 0x7e || (b < 0x20 && b != '\n')))
        {
            throw Error("header", "expected a printable ASCII dict, found other bytes");
        }

        headerBytes = prefixBytes + (int)length;
        return Parse(Encoding.ASCII.GetString(text), Error);
    }

    private static NpyHeader Parse(string text, Func<string, string, DataFormatException> error)
    {
        var p = new DictParser(text, error);
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        p.Expect('{');
        while (!p.TryTake('}'))
        {
            string key = p.String("key");
            p.Expect(':');
            switch (key)
            {
                case "descr" when descr is null:
                    descr = p.Peek() == '[' ? "[structured]" : p.String("'descr'");
                    if (descr == "[structured]")
                    {
                        throw error("'descr'", "expected a plain dtype such as '<f4', found a structured dtype (a list of fields)");
                    }

                    break;
                case "fortran_order" when fortran is null:
                    fortran = p.Boolean("'fortran_order'");
                    break;
                case "shape" when shape is null:
                    shape = p.Tuple("'shape'");
                    break;
                case "descr" or "fortran_order" or "shape":
                    throw error($"'{key}'", "expected each key once, found it twice");
                default:
                    throw error("header", $"expected only the keys 'descr', 'fortran_order' and 'shape', found '{CsvTable.Shorten(key)}'");
            }

            if (!p.TryTake(','))
            {
                p.Expect('}');
                break;
            }
        }

        p.ExpectEnd();
        if (descr is null || fortran is null || shape is null)
        {
            string missing = descr is null ? "'descr'" : fortran is null ? "'fortran_order'" : "'shape'";
            throw error("header", $"expected the keys 'descr', 'fortran_order' and 'shape', found no {missing}");
        }

        if (fortran.Value)
        {
            throw error("'fortran_order'", "expected False (C order), found True: save with np.ascontiguousarray first");
        }

        NpyDType type = NpyDType.Parse(descr, problem => error("'descr'", problem));
        long elements = MemoryBudget.Product(shape);
        long bytes = MemoryBudget.Product(elements, type.Size);
        return new NpyHeader(type, shape, elements, bytes);
    }

    /// <summary>The small part of Python literal syntax a .npy header uses.</summary>
    private sealed class DictParser(string text, Func<string, string, DataFormatException> error)
    {
        private int _at;

        public char Peek()
        {
            SkipSpaces();
            return _at < text.Length ? text[_at] : '\0';
        }

        public bool TryTake(char c)
        {
            if (Peek() != c)
            {
                return false;
            }

            _at++;
            return true;
        }

        public void Expect(char c)
        {
            if (!TryTake(c))
            {
                throw error("header", $"expected '{c}' at character {_at}, found {Found()}");
            }
        }

        public void ExpectEnd()
        {
            if (Peek() != '\0' || _at < text.Length)
            {
                throw error("header", $"expected only spaces after the dict, found {Found()}");
            }
        }

        public string String(string field)
        {
            char quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw error(field, $"expected a quoted string at character {_at}, found {Found()}");
            }

            int end = text.IndexOf(quote, _at + 1);
            if (end < 0)
            {
                throw error(field, "expected a closing quote, found the end of the header");
            }

            string value = text[(_at + 1)..end];
            _at = end + 1;
            return value;
        }

        public bool Boolean(string field)
        {
            Peek();
            foreach ((string word, bool value) in new[] { ("True", true), ("False", false) })
            {
                if (string.CompareOrdinal(text, _at, word, 0, word.Length) == 0)
                {
                    _at += word.Length;
                    return value;
                }
            }

            throw error(field, $"expected True or False, found {Found()}");
        }

        public long[] Tuple(string field)
        {
            Expect('(');
            var dims = new List<long>();
            while (!TryTake(')'))
            {
                Peek();
                int start = _at;
                while (_at < text.Length && char.IsAsciiDigit(text[_at]))
                {
                    _at++;
                }

                if (!long.TryParse(text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out long dim))
                {
                    throw error(field, $"expected a non-negative whole number at character {start}, found {Found()}");
                }

                if (_at < text.Length && text[_at] == 'L')
                {
                    _at++; // Python 2 wrote long integers as 3L.
                }

                dims.Add(dim);
                if (dims.Count > 32)
                {
                    throw error(field, "expected at most 32 dimensions, found more");
                }

                if (!TryTake(','))
                {
                    Expect(')');
                    break;
                }
            }

            return [.. dims];
        }

        private void SkipSpaces()
        {
            while (_at < text.Length && text[_at] is ' ' or '\n')
            {
                _at++;
            }
        }

        private string Found() => _at < text.Length ? $"'{CsvTable.Shorten(text.AsSpan(_at).TrimEnd())}'" : "the end of the header";
    }
}
