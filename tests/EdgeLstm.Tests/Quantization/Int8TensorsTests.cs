using System.Buffers.Binary;
using EdgeLstm.IO;
using EdgeLstm.Quantization;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Quantization;

/// <summary>Int8 weights in safetensors: I8 values, F32 scales, and a clean error naming the tensor for each fault.</summary>
public class Int8TensorsTests
{
    private const SafeTensorsDTypes Int8Model = SafeTensorsDTypes.F32 | SafeTensorsDTypes.I8;

    private static readonly Int8Matrix Matrix = new(2, 3, [1, -127, 5, 0, 0, 0], [0.25f, 0f]);

    private static byte[] Write(Action<SafeTensorsWriter> add)
    {
        var writer = new SafeTensorsWriter();
        writer.SetMetadata("quantization", "int8-symmetric-per-row");
        add(writer);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    private static byte[] ValidFile() => Write(w =>
    {
        Int8Tensors.Add(w, "w", Matrix);
        w.Add("bias", [3], new float[] { 1, 2, 3 });
    });

    [Fact]
    public void Round_trips_values_and_scales_with_fp32_tensors_aligned_after_odd_int8_sizes()
    {
        byte[] file = ValidFile();
        using var reader = SafeTensorsReader.Open(file, "m", Int8Model);
        var m = Int8Tensors.Read(reader, "w");
        Assert.Equal(Matrix.Values.ToArray(), m.Values.ToArray());
        Assert.Equal(Matrix.Scales.ToArray(), m.Scales.ToArray());
        var bias = new float[3];
        reader.ReadInto(reader.Find("bias")!, bias);
        Assert.Equal(new float[] { 1, 2, 3 }, bias);

        // The F32 tensors come first (4-byte aligned), the 6 bytes of I8 last; the header says so.
        var (header, data) = SafeTensorsBytes.Split(file);
        Assert.Equal("I8", (string)header["w"]!["dtype"]!);
        Assert.Equal("[2,3]", header["w"]!["shape"]!.ToJsonString());
        Assert.Equal("F32", (string)header["w.scale"]!["dtype"]!);
        Assert.Equal("[0,8]", header["w.scale"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[8,20]", header["bias"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[20,26]", header["w"]!["data_offsets"]!.ToJsonString());
        Assert.Equal(26, data.Length);
        Assert.Equal(unchecked((byte)-127), data[21]);
        Assert.Equal(0.25f, BinaryPrimitives.ReadSingleLittleEndian(data));
    }

    [Fact]
    public void A_reader_for_fp32_models_refuses_I8_tensors()
    {
        var ex = Assert.Throws<ModelFormatException>(() => SafeTensorsReader.Open(ValidFile(), "m"));
        Assert.Equal("m: tensor w: dtype: expected F32, found I8", ex.Message);
    }

    [Fact]
    public void Reading_a_tensor_as_the_other_dtype_is_a_format_error()
    {
        using var reader = SafeTensorsReader.Open(ValidFile(), "m", Int8Model);
        var ex = Assert.Throws<ModelFormatException>(() => reader.ReadInto(reader.Find("w")!, new float[6]));
        Assert.Equal("m: tensor w: dtype: expected F32, found I8", ex.Message);
        ex = Assert.Throws<ModelFormatException>(() => reader.ReadInto(reader.Find("bias")!, new sbyte[3]));
        Assert.Equal("m: tensor bias: dtype: expected I8, found F32", ex.Message);
    }

    [Fact]
    public void An_I8_tensor_of_the_wrong_byte_count_is_refused_at_open()
    {
        byte[] file = SafeTensorsBytes.EditHeader(ValidFile(), h => h["w"]!["shape"] = new System.Text.Json.Nodes.JsonArray(2, 2));
        var ex = Assert.Throws<ModelFormatException>(() => SafeTensorsReader.Open(file, "m", Int8Model));
        Assert.Equal("m: tensor w: data_offsets: expected 4 bytes for I8 [2, 2], found 6", ex.Message);
    }

    public static TheoryData<string, Func<byte[]>, string> BadFiles() => new()
    {
        { "missing values", () => Write(w => w.Add("w.scale", [2], new float[] { 1, 1 })), "m: tensor w: expected an I8 weight tensor, found it missing" },
        { "missing scales", () => Write(w => w.Add("w", [2, 3], new sbyte[6])), "m: tensor w.scale: expected the F32 per-row scales of w, found them missing" },
        { "zero scale, nonzero row", () => Write(w => { w.Add("w", [2, 3], new sbyte[] { 0, 0, 0, 0, 7, 0 }); w.Add("w.scale", [2], new float[] { 0, 0 }); }), "m: tensor w.scale: expected a positive scale for row 1, which holds 7 at column 1 (0 is kept for rows of zeros), found 0" },
        { "negative scale", () => Write(w => { w.Add("w", [2, 3], new sbyte[6]); w.Add("w.scale", [2], new float[] { 1, -0.5f }); }), "m: tensor w.scale: expected a finite number ≥ 0 for row 1, found -0.5" },
        { "NaN scale", () => PatchScale(float.NaN), "m: tensor w.scale: element 1: expected a finite number, found NaN" },
        { "infinite scale", () => PatchScale(float.PositiveInfinity), "m: tensor w.scale: element 1: expected a finite number, found Infinity" },
        { "too many scales", () => Write(w => { w.Add("w", [2, 3], new sbyte[6]); w.Add("w.scale", [3], new float[3]); }), "m: tensor w.scale: shape: expected [2] (one scale per row of w), found [3]" },
        { "scales as a matrix", () => Write(w => { w.Add("w", [2, 3], new sbyte[6]); w.Add("w.scale", [2, 1], new float[2]); }), "m: tensor w.scale: shape: expected [2] (one scale per row of w), found [2, 1]" },
        { "values as F32", () => Write(w => { w.Add("w", [2, 3], new float[6]); w.Add("w.scale", [2], new float[2]); }), "m: tensor w: dtype: expected I8 (an int8 weight), found F32" },
        { "scales as I8", () => Write(w => { w.Add("w", [2, 3], new sbyte[6]); w.Add("w.scale", [2], new sbyte[2]); }), "m: tensor w.scale: dtype: expected F32 (scales), found I8" },
        { "values as a vector", () => Write(w => { w.Add("w", [6], new sbyte[6]); w.Add("w.scale", [2], new float[2]); }), "m: tensor w: shape: expected [rows, cols], found [6]" },
        { "value -128", () => Write(w => { w.Add("w", [2, 3], new sbyte[] { 1, 2, 3, -128, 0, 0 }); w.Add("w.scale", [2], new float[] { 1, 1 }); }), "m: tensor w: expected -127..127 (symmetric), found -128 at row 1, column 0" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_int8_weights_get_an_error_naming_the_tensor(string fault, Func<byte[]> file, string message)
    {
        using var reader = SafeTensorsReader.Open(file(), "m", Int8Model);
        var ex = Assert.Throws<ModelFormatException>(() => Int8Tensors.Read(reader, "w"));
        Assert.True(message == ex.Message, $"{fault}: {ex.Message}");
    }

    /// <summary>A valid file whose second scale's bytes are replaced by <paramref name="value"/> (the writer refuses to write it).</summary>
    private static byte[] PatchScale(float value)
    {
        byte[] file = Write(w => { w.Add("w", [2, 3], new sbyte[6]); w.Add("w.scale", [2], new float[] { 1, 1 }); });
        return SafeTensorsBytes.EditHeader(file, _ => { }, data =>
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), value);
            return data;
        });
    }
}
