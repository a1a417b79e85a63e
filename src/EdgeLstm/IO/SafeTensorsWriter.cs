using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace EdgeLstm.IO;

/// <summary>
/// Writes the safetensors format: an 8-byte little-endian header length, a JSON header (string metadata under
/// <c>__metadata__</c>, then each tensor's dtype, shape and byte range), padded with spaces to a multiple of 8, then the
/// tensors' raw little-endian data, back to back: the F32 tensors in the order they were added, then the I8 ones (so
/// every F32 tensor starts 4-byte aligned whatever the I8 sizes, as the reference implementation orders by alignment).
/// </summary>
public sealed class SafeTensorsWriter
{
    private readonly List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> _tensors = [];
    private readonly List<(string Name, int[] Shape, ReadOnlyMemory<sbyte> Data)> _int8Tensors = [];
    private readonly SortedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Adds an F32 tensor; <paramref name="data"/> is read when <see cref="WriteTo"/> runs.</summary>
    public void Add(string name, int[] shape, ReadOnlyMemory<float> data)
    {
        CheckNew(name, shape, data.Length);
        _tensors.Add((name, shape, data));
    }

    /// <summary>Adds an I8 tensor (quantised weights); <paramref name="data"/> is read when <see cref="WriteTo"/> runs.</summary>
    public void Add(string name, int[] shape, ReadOnlyMemory<sbyte> data)
    {
        CheckNew(name, shape, data.Length);
        _int8Tensors.Add((name, shape, data));
    }

    private void CheckNew(string name, int[] shape, int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == SafeTensorsReader.MetadataKey || _tensors.Exists(t => t.Name == name) || _int8Tensors.Exists(t => t.Name == name))
        {
            throw new ArgumentException($"The tensor name '{name}' is reserved or already used.", nameof(name));
        }

        long elements = shape.Aggregate(1L, (n, d) => n * d);
        if (elements != length)
        {
            throw new ArgumentException($"Tensor '{name}' of shape [{string.Join(", ", shape)}] needs {elements} elements; got {length}.", nameof(length));
        }
    }

    /// <summary>Sets a metadata entry (safetensors allows only string values).</summary>
    public void SetMetadata(string key, string value) => _metadata[key] = value;

    /// <summary>
    /// Writes the file to <paramref name="stream"/>. Non-finite values are refused (a model with NaN weights is broken),
    /// so a failing save can happen half-way; <see cref="AtomicFile"/> keeps that from harming an existing file.
    /// </summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);

        var chunk = new byte[1 << 16];
        foreach (var (name, _, data) in _tensors)
        {
            var values = data.Span;
            for (int start = 0; start < values.Length; start += chunk.Length / 4)
            {
                int count = Math.Min(chunk.Length / 4, values.Length - start);
                for (int i = 0; i < count; i++)
                {
                    float v = values[start + i];
                    if (!float.IsFinite(v))
                    {
                        throw new ArgumentException($"Tensor '{name}' holds a non-finite value ({v}) at element {start + i}; refusing to save a broken model.");
                    }

                    BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(4 * i), v);
                }

                stream.Write(chunk, 0, 4 * count);
            }
        }

        foreach (var (_, _, data) in _int8Tensors)
        {
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Span));
        }
    }

    private byte[] BuildHeader()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject(SafeTensorsReader.MetadataKey);
            foreach (var (key, value) in _metadata)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape, data) in _tensors)
            {
                WriteEntry(json, name, "F32", shape, ref offset, 4L * data.Length);
            }

            foreach (var (name, shape, data) in _int8Tensors)
            {
                WriteEntry(json, name, "I8", shape, ref offset, data.Length);
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned, as the reference implementation does.
        int padded = (buffer.WrittenCount + 7) & ~7;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteEntry(Utf8JsonWriter json, string name, string dtype, int[] shape, ref long offset, long bytes)
    {
        json.WriteStartObject(name);
        json.WriteString("dtype", dtype);
        json.WriteStartArray("shape");
        foreach (int d in shape)
        {
            json.WriteNumberValue(d);
        }

        json.WriteEndArray();
        json.WriteStartArray("data_offsets");
        json.WriteNumberValue(offset);
        offset += bytes;
        json.WriteNumberValue(offset);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
