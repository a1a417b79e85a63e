using System.Buffers.Binary;
using System.Text;

namespace EdgeLstm.Benchmarks.Onnx;

/// <summary>
/// The protocol-buffers wire format, as much of it as an ONNX model needs: varints, length-delimited fields (strings,
/// bytes, nested messages, packed arrays) and nothing else. Fields are written in the order the caller gives them;
/// protobuf readers accept any order.
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0;
    private const int LengthDelimited = 2;

    private readonly MemoryStream _bytes = new();

    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>An int64/int32/enum field (negative values take ten bytes, as protobuf's int64 encoding says).</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint((ulong)value);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    /// <summary>A nested message, built by <paramref name="build"/> into its own writer, then length-prefixed.</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> build)
    {
        var inner = new ProtoWriter();
        build(inner);
        return Bytes(field, inner.ToArray());
    }

    /// <summary>Floats as little-endian IEEE 754 bytes (TensorProto.raw_data).</summary>
    public ProtoWriter FloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        var raw = new byte[checked(values.Length * sizeof(float))];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        }

        return Bytes(field, raw);
    }

    /// <summary>A packed repeated int64 field.</summary>
    public ProtoWriter PackedInts(int field, ReadOnlySpan<long> values)
    {
        var inner = new ProtoWriter();
        foreach (long v in values)
        {
            inner.WriteVarint((ulong)v);
        }

        return Bytes(field, inner.ToArray());
    }

    private void Tag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.WriteByte((byte)value);
    }
}
