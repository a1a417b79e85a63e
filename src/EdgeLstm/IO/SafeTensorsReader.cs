using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using EdgeLstm.Model;

namespace EdgeLstm.IO;

/// <summary>
/// Reads a safetensors file or buffer strictly. The header length is checked against a cap and against the bytes that
/// really follow before anything is allocated for it; every tensor's dtype (F32 only), shape and byte range are checked
/// (inside the data, 4-byte aligned, the size the shape needs, no overlaps and no holes, as the format requires); values
/// are checked finite as they are read. Any fault is a <see cref="ModelFormatException"/> naming the source and field.
/// </summary>
public sealed class SafeTensorsReader : IDisposable
{
    /// <summary>The key of the string-to-string metadata object in the header.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted (100 MB, the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly Stream? _stream;
    private readonly bool _ownsStream;
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly List<SafeTensorsEntry> _entries = [];
    private readonly Dictionary<string, SafeTensorsEntry> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    private SafeTensorsReader(string source, Stream? stream, bool ownsStream, ReadOnlyMemory<byte> buffer)
    {
        Source = source;
        _stream = stream;
        _ownsStream = ownsStream;
        _buffer = buffer;
    }

    /// <summary>The file name or buffer name used in messages.</summary>
    public string Source { get; }

    /// <summary>The string metadata (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>The tensors in the order of their data.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries => _entries;

    /// <summary>Bytes in the data section (after the header).</summary>
    public long DataLength { get; private set; }

    private long DataStart { get; set; }

    /// <summary>
    /// The largest model read from a stream without a length (a pipe, <c>/dev/stdin</c>, <c>&lt;(cat m.safetensors)</c>):
    /// such a stream is read into memory as its bytes arrive, so it is bounded by the largest array, about 2 GiB.
    /// </summary>
    public static long MaxUnseekableBytes => Math.Min(ModelLimits.MaxModelFileBytes, Array.MaxLength);

    /// <summary>
    /// Opens and checks the header of the file at <paramref name="path"/>. A regular file is read in place; a pipe or
    /// another stream that cannot seek is read into memory first, up to <see cref="MaxUnseekableBytes"/>.
    /// </summary>
    public static SafeTensorsReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            if (!stream.CanSeek)
            {
                using (stream)
                {
                    return Open(ReadUnseekable(stream, path), path);
                }
            }

            var reader = new SafeTensorsReader(path, stream, ownsStream: true, default);
            reader.ReadHeader();
            return reader;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Checks the header of safetensors bytes held in memory; <paramref name="source"/> names them in messages.</summary>
    public static SafeTensorsReader Open(ReadOnlyMemory<byte> content, string source = "(buffer)")
    {
        var reader = new SafeTensorsReader(source, null, ownsStream: false, content);
        reader.ReadHeader();
        return reader;
    }

    /// <summary>
    /// All of a stream that cannot seek, grown as its bytes arrive (never by what a header claims), refused past
    /// <see cref="MaxUnseekableBytes"/>.
    /// </summary>
    private static ReadOnlyMemory<byte> ReadUnseekable(Stream stream, string source)
    {
        var buffer = new byte[1 << 16];
        int filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (buffer.Length >= MaxUnseekableBytes)
                {
                    // One byte more than the limit tells "too long" from "exactly the limit".
                    if (stream.ReadByte() < 0)
                    {
                        break;
                    }

                    throw new ModelFormatException(source, "file", $"expected at most {MaxUnseekableBytes} bytes from a stream that cannot seek (a pipe), found more");
                }

                Array.Resize(ref buffer, (int)Math.Min(MaxUnseekableBytes, 2L * buffer.Length));
            }

            int read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return buffer.AsMemory(0, filled);
    }

    /// <summary>The entry called <paramref name="name"/>, or null.</summary>
    public SafeTensorsEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Reads a tensor's values into <paramref name="destination"/>, which must hold exactly its elements.</summary>
    public void ReadInto(SafeTensorsEntry entry, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (destination.Length != entry.ElementCount)
        {
            throw new ArgumentException($"Tensor '{entry.Name}' has {entry.ElementCount} elements; the destination holds {destination.Length}.", nameof(destination));
        }

        var chunk = new byte[Math.Min(1 << 16, Math.Max(4, entry.End - entry.Begin))];
        long position = entry.Begin;
        int done = 0;
        while (done < destination.Length)
        {
            int count = Math.Min(chunk.Length / 4, destination.Length - done);
            ReadData(position, chunk.AsSpan(0, 4 * count));
            for (int i = 0; i < count; i++)
            {
                float v = BinaryPrimitives.ReadSingleLittleEndian(chunk.AsSpan(4 * i));
                if (!float.IsFinite(v))
                {
                    throw Fail($"tensor {entry.Name}: element {done + i}", $"expected a finite number, found {v.ToString(CultureInfo.InvariantCulture)}");
                }

                destination[done + i] = v;
            }

            done += count;
            position += 4L * count;
        }
    }

    /// <summary>Closes the file, if one was opened.</summary>
    public void Dispose()
    {
        if (_ownsStream)
        {
            _stream!.Dispose();
        }
    }

    private void ReadData(long position, Span<byte> destination)
    {
        if (_stream is null)
        {
            _buffer.Span.Slice((int)(DataStart + position), destination.Length).CopyTo(destination);
            return;
        }

        _stream.Position = DataStart + position;
        int got = _stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (got != destination.Length)
        {
            throw Fail("data", $"expected {destination.Length} bytes at offset {position}, found {got} (file changed or truncated while reading)");
        }
    }

    private void ReadHeader()
    {
        long total = _stream?.Length ?? _buffer.Length;
        if (total > ModelLimits.MaxModelFileBytes)
        {
            throw Fail("file", $"expected at most {ModelLimits.MaxModelFileBytes} bytes (a checkpoint of the largest model), found {total}");
        }

        Span<byte> prefix = stackalloc byte[8];
        int got = _stream is null ? Math.Min(8, _buffer.Length) : _stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (_stream is null)
        {
            _buffer.Span[..got].CopyTo(prefix);
        }

        if (got < 8)
        {
            throw Fail("header length", $"expected 8 bytes, found {got} (not a safetensors file, or truncated)");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
        {
            throw Fail("header length", $"expected at most {MaxHeaderBytes} bytes, found {headerLength}");
        }

        if ((long)headerLength > total - 8)
        {
            throw Fail("header length", $"says {headerLength} bytes but only {total - 8} follow (lying header length, or truncated file)");
        }

        if (headerLength < 2)
        {
            throw Fail("header", $"expected a JSON object, found {headerLength} bytes");
        }

        byte[] header = new byte[headerLength];
        if (_stream is null)
        {
            _buffer.Span.Slice(8, header.Length).CopyTo(header);
        }
        else if (_stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length)
        {
            throw Fail("header", $"expected {headerLength} bytes, found fewer (file truncated)");
        }

        DataStart = 8 + (long)headerLength;
        DataLength = total - DataStart;

        // JSON text is UTF-8 (RFC 8259); checking it all first also covers bytes the JSON reader would pass over.
        if (!Utf8.IsValid(header))
        {
            throw Fail("header", $"expected UTF-8 text, found an invalid byte sequence at byte {FirstInvalidUtf8(header)} of the header");
        }

        try
        {
            ParseHeader(header);
        }
        catch (JsonException e)
        {
            throw Fail("header", $"expected valid JSON, found an error at byte {e.BytePositionInLine}: {e.Message}", e);
        }

        CheckLayout();
    }

    /// <summary>The offset of the first byte that does not start or continue a valid UTF-8 sequence.</summary>
    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }

    /// <summary>
    /// The string at the reader, or the loader's own error: a JSON escape can still spell text that is not Unicode (a
    /// lone surrogate such as <c>\ud800</c>), which the JSON reader reports as an <see cref="InvalidOperationException"/>.
    /// </summary>
    private string Text(ref Utf8JsonReader json, string field)
    {
        if (json.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
        {
            throw Fail(field, $"expected a string, found {json.TokenType}");
        }

        try
        {
            return json.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw Fail(field, $"expected valid Unicode text, found an escape that is not (a lone surrogate?) at byte {json.TokenStartIndex} of the header", e);
        }
    }

    private void ParseHeader(byte[] header)
    {
        var json = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
        {
            throw Fail("header", "expected a JSON object");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (json.Read() && json.TokenType != JsonTokenType.EndObject)
        {
            string name = Text(ref json, "header key");
            if (!seen.Add(name))
            {
                throw Fail($"header key {name}", "expected each key once, found it twice");
            }

            json.Read();
            if (name == MetadataKey)
            {
                ParseMetadata(ref json);
            }
            else
            {
                var entry = ParseTensor(ref json, name);
                _entries.Add(entry);
                _byName.Add(name, entry);
            }
        }

        // Only the padding (spaces) may follow the object.
        if (json.Read())
        {
            throw Fail("header", "expected nothing after the JSON object, found more");
        }
    }

    private void ParseMetadata(ref Utf8JsonReader json)
    {
        if (json.TokenType != JsonTokenType.StartObject)
        {
            throw Fail(MetadataKey, $"expected an object of strings, found {json.TokenType}");
        }

        while (json.Read() && json.TokenType != JsonTokenType.EndObject)
        {
            string key = Text(ref json, $"{MetadataKey} key");
            json.Read();
            if (json.TokenType != JsonTokenType.String)
            {
                throw Fail($"{MetadataKey}.{key}", $"expected a string (safetensors metadata is string to string), found {json.TokenType}");
            }

            // As for the top-level keys: a second value would silently win over the first, so neither is trusted.
            if (!_metadata.TryAdd(key, Text(ref json, $"{MetadataKey}.{key}")))
            {
                throw Fail($"{MetadataKey}.{key}", "expected each key once, found it twice");
            }
        }
    }

    private SafeTensorsEntry ParseTensor(ref Utf8JsonReader json, string name)
    {
        string field = $"tensor {name}";
        if (json.TokenType != JsonTokenType.StartObject)
        {
            throw Fail(field, $"expected an object with dtype, shape and data_offsets, found {json.TokenType}");
        }

        string? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (json.Read() && json.TokenType != JsonTokenType.EndObject)
        {
            string property = Text(ref json, $"{field}: key");
            if (!seen.Add(property))
            {
                throw Fail($"{field}: {property}", "expected each key once, found it twice");
            }

            json.Read();
            switch (property)
            {
                case "dtype":
                    dtype = Text(ref json, $"{field}: dtype");
                    break;
                case "shape":
                    shape = ParseIntegers(ref json, $"{field}: shape", int.MaxValue);
                    break;
                case "data_offsets":
                    offsets = ParseIntegers(ref json, $"{field}: data_offsets", long.MaxValue);
                    break;
                default:
                    throw Fail($"{field}: {property}", "expected only dtype, shape and data_offsets, found this key too");
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Fail($"{field}: {missing}", "expected it, found it missing");
        }

        if (offsets.Length != 2)
        {
            throw Fail($"{field}: data_offsets", $"expected [begin, end], found {offsets.Length} numbers");
        }

        return new SafeTensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private long[] ParseIntegers(ref Utf8JsonReader json, string field, long max)
    {
        if (json.TokenType != JsonTokenType.StartArray)
        {
            throw Fail(field, $"expected an array of whole numbers, found {json.TokenType}");
        }

        var values = new List<long>();
        while (json.Read() && json.TokenType != JsonTokenType.EndArray)
        {
            if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long value) || value < 0 || value > max)
            {
                throw Fail(field, $"expected whole numbers from 0 to {max}, found {Encoding.UTF8.GetString(json.ValueSpan[..Math.Min(json.ValueSpan.Length, 40)])}");
            }

            if (values.Count == 64)
            {
                throw Fail(field, "expected at most 64 numbers, found more");
            }

            values.Add(value);
        }

        return [.. values];
    }

    /// <summary>Checks each tensor's dtype, size and range, then that the ranges tile the data section exactly.</summary>
    private void CheckLayout()
    {
        foreach (var e in _entries)
        {
            string field = $"tensor {e.Name}";
            if (e.DType != "F32")
            {
                throw Fail($"{field}: dtype", $"expected F32, found {e.DType}");
            }

            long bytes;
            try
            {
                bytes = checked(4 * e.Shape.Aggregate(1L, (n, d) => checked(n * d)));
            }
            catch (OverflowException)
            {
                throw Fail($"{field}: shape", $"expected a shape that fits in memory, found {e.ShapeText}");
            }

            if (e.End < e.Begin)
            {
                throw Fail($"{field}: data_offsets", $"expected begin ≤ end, found [{e.Begin}, {e.End}]");
            }

            if (e.End > DataLength)
            {
                throw Fail($"{field}: data_offsets", $"expected a range inside the {DataLength} data bytes, found [{e.Begin}, {e.End}] (out of range)");
            }

            if (e.Begin % 4 != 0)
            {
                throw Fail($"{field}: data_offsets", $"expected a begin aligned to 4 bytes (F32), found {e.Begin} (misaligned)");
            }

            if (e.End - e.Begin != bytes)
            {
                throw Fail($"{field}: data_offsets", $"expected {bytes} bytes for F32 {e.ShapeText}, found {e.End - e.Begin}");
            }
        }

        _entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        string previous = "the start of the data";
        foreach (var e in _entries)
        {
            if (e.Begin < covered)
            {
                throw Fail($"tensor {e.Name}: data_offsets", $"expected bytes of its own, found [{e.Begin}, {e.End}] overlapping {previous}");
            }

            if (e.Begin > covered)
            {
                throw Fail($"tensor {e.Name}: data_offsets", $"expected it to start at {covered}, right after {previous}, found {e.Begin} (a hole in the data)");
            }

            covered = e.End;
            previous = $"tensor {e.Name}";
        }

        if (covered != DataLength)
        {
            throw Fail("data", $"expected {covered} bytes of tensor data, found {DataLength} (bytes that belong to no tensor)");
        }
    }

    private ModelFormatException Fail(string field, string problem, Exception? inner = null) => new(Source, field, problem, inner);
}
