using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeLstm.Tests.TestSupport;

/// <summary>Takes safetensors files apart and puts them back together, to make malformed ones.</summary>
internal static class SafeTensorsBytes
{
    public static (JsonObject Header, byte[] Data) Split(byte[] file)
    {
        long length = BinaryPrimitives.ReadInt64LittleEndian(file);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(file, 8, (int)length))!.AsObject();
        return (header, file[(8 + (int)length)..]);
    }

    public static byte[] Join(string header, byte[] data, long? claimedLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(file, claimedLength ?? json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    /// <summary>Edits the header of a valid file and keeps its data.</summary>
    public static byte[] EditHeader(byte[] file, Action<JsonObject> edit, Func<byte[], byte[]>? editData = null)
    {
        var (header, data) = Split(file);
        edit(header);
        return Join(header.ToJsonString(), editData?.Invoke(data) ?? data);
    }
}
