using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.IO;

public class ModelFileTests
{
    private static readonly LstmConfig Small = new(5, 6, 2, 4, 7);

    private static byte[] ValidFile() => ModelFile.ToBytes(LstmModel.Create(Small, 3), new Dictionary<string, string> { ["train.seed"] = "3" });

    [Fact]
    public void Round_trips_every_weight_bit_for_bit_through_a_file()
    {
        using var dir = new TempDirectory();
        var model = LstmModel.Create(Small, 42);
        string path = dir.File("m.safetensors");
        ModelFile.Save(model, path, new Dictionary<string, string> { ["train.iterations"] = "12" });

        var loaded = ModelFile.Load(path);
        Assert.Equal(Small, loaded.Model.Config);
        Assert.Equal(model.Parameters.ToArray(), loaded.Model.Parameters.ToArray());
        Assert.Equal("12", loaded.Metadata["train.iterations"]);
        Assert.Equal("model", loaded.Kind);
        Assert.Equal("1", loaded.Metadata[ModelFile.FormatVersionKey]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Loads_from_a_byte_buffer()
    {
        var model = LstmModel.Create(Small, 9);
        var loaded = ModelFile.Load(ModelFile.ToBytes(model));
        Assert.Equal(model.Parameters.ToArray(), loaded.Model.Parameters.ToArray());
    }

    [Fact]
    public void The_layout_is_safetensors_with_pytorch_names_and_string_metadata()
    {
        var model = LstmModel.Create(Small, 1);
        byte[] file = ModelFile.ToBytes(model);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
        Assert.Equal(0, (8 + headerLength) % 8);
        var (header, data) = SafeTensorsBytes.Split(file);
        Assert.Equal(4L * model.Parameters.Length, data.Length);

        string[] names = [.. header.Select(p => p.Key).Where(k => k != "__metadata__")];
        Assert.Equal(model.Tensors.Select(t => t.Name), names);
        Assert.Contains("lstm.weight_hh_l1", names);
        Assert.Equal("[24,6]", header["lstm.weight_hh_l1"]!["shape"]!.ToJsonString());
        Assert.Equal("F32", (string)header["fc.bias"]!["dtype"]!);
        Assert.All(header["__metadata__"]!.AsObject(), p => Assert.Equal(System.Text.Json.JsonValueKind.String, p.Value!.GetValueKind()));
        Assert.Equal("6", (string)header["__metadata__"]!["hidden_size"]!);

        // Little-endian f32: the first bytes of the data are the first weight.
        Assert.Equal(model.Parameters[0], BinaryPrimitives.ReadSingleLittleEndian(data));
    }

    [Fact]
    public void A_file_without_edgelstm_metadata_is_read_from_its_shapes()
    {
        // What safetensors.torch.save_file(model.state_dict()) writes: PyTorch names, {"format": "pt"}.
        byte[] file = SafeTensorsBytes.EditHeader(ValidFile(), h => h["__metadata__"] = new JsonObject { ["format"] = "pt" });
        var loaded = ModelFile.Load(file, "torch.safetensors");
        Assert.Equal(new LstmConfig(5, 6, 2, 4, 28), loaded.Model.Config);
    }

    public static TheoryData<string, Func<byte[], byte[]>, string> Malformed => new()
    {
        { "lying header length", f => Patch(f, 0, BitConverter.GetBytes((long)f.Length)), "bad: header length: says {0} bytes but only {1} follow (lying header length, or truncated file)" },
        { "header too large", f => Patch(f, 0, BitConverter.GetBytes(5_000_000_000L)), "bad: header length: expected at most 100000000 bytes, found 5000000000" },
        { "too short", f => f[..5], "bad: header length: expected 8 bytes, found 5 (not a safetensors file, or truncated)" },
        { "not json", f => SafeTensorsBytes.Join("{'a': 1}", []), "bad: header: expected valid JSON" },
        { "overlap", f => Offsets(f, "lstm.bias_hh_l0", -8), "bad: tensor lstm.bias_hh_l0: data_offsets: expected bytes of its own, found [" },
        { "out of range", f => Offsets(f, "fc.bias", 64), "bad: tensor fc.bias: data_offsets: expected a range inside the " },
        { "misaligned", f => Offsets(f, "fc.bias", 2, extraData: 2), "bad: tensor fc.bias: data_offsets: expected a begin aligned to 4 bytes (F32), found " },
        { "hole", f => SafeTensorsBytes.EditHeader(f, h => { }, d => [.. d, 0, 0, 0, 0]), "bad: data: expected " },
        { "dtype", f => SafeTensorsBytes.EditHeader(f, h => h["fc.bias"]!["dtype"] = "F16"), "bad: tensor fc.bias: dtype: expected F32 or I8, found F16" },
        { "missing tensor", f => SafeTensorsBytes.EditHeader(f, h => { var e = h["fc.bias"]!; h.Remove("fc.bias"); h["fc.other"] = e.DeepClone(); }), "bad: tensor fc.bias: expected it (shape [4] for this architecture), found it missing" },
        { "extra tensor", f => AddExtraTensor(f), "bad: tensor extra.weight: expected no such tensor in this model, found it (extra tensor)" },
        { "wrong shape", f => SafeTensorsBytes.EditHeader(f, h => h["fc.weight"]!["shape"] = new JsonArray(6, 4)), "bad: tensor fc.weight: shape: expected [4, 6], found [6, 4]" },
        { "nan", f => Patch(f, f.Length - 4, BitConverter.GetBytes(float.NaN)), "bad: tensor fc.bias: element 3: expected a finite number, found NaN" },
        { "infinity", f => Patch(f, f.Length - 8, BitConverter.GetBytes(float.PositiveInfinity)), "bad: tensor fc.bias: element 2: expected a finite number, found Infinity" },
        { "newer version", f => SafeTensorsBytes.EditHeader(f, h => h["__metadata__"]!["format_version"] = "4"), "bad: __metadata__.format_version: expected 3 or lower, found 4 (written by a newer EdgeLstm; upgrade to read it)" },
        { "metadata not string", f => SafeTensorsBytes.EditHeader(f, h => h["__metadata__"]!["hidden_size"] = 6), "bad: __metadata__.hidden_size: expected a string (safetensors metadata is string to string), found Number" },
        { "architecture lies", f => SafeTensorsBytes.EditHeader(f, h => h["__metadata__"]!["hidden_size"] = "7"), "bad: tensor lstm.weight_ih_l0: shape: expected [28, 5], found [24, 5]" },
        { "unknown key", f => SafeTensorsBytes.EditHeader(f, h => h["fc.bias"]!["scale"] = 2), "bad: tensor fc.bias: scale: expected only dtype, shape and data_offsets, found this key too" },
        { "negative offset", f => SafeTensorsBytes.EditHeader(f, h => h["fc.bias"]!["data_offsets"] = new JsonArray(-4, 12)), "bad: tensor fc.bias: data_offsets: expected whole numbers from 0 to 9223372036854775807, found -4" },
        { "not a checkpoint or model", f => SafeTensorsBytes.EditHeader(f, h => h["__metadata__"]!["kind"] = "optimizer"), "bad: __metadata__.kind: expected \"model\" or \"checkpoint\", found \"optimizer\"" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_files_are_refused_naming_the_field(string what, Func<byte[], byte[]> corrupt, string message)
    {
        byte[] valid = ValidFile();
        byte[] bad = corrupt(valid);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(valid);
        string expected = string.Format(System.Globalization.CultureInfo.InvariantCulture, message, bad.Length, bad.Length - 8);
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(bad, "bad"));
        Assert.True(e.Message.StartsWith(expected, StringComparison.Ordinal), $"{what}: {e.Message}");
        Assert.Equal("bad", e.FileName);
        Assert.True(headerLength > 0);
    }

    [Fact]
    public void Malformed_files_on_disk_name_the_path()
    {
        using var dir = new TempDirectory();
        string path = dir.File("broken.safetensors");
        byte[] valid = ValidFile();
        File.WriteAllBytes(path, valid[..(valid.Length - 10)]);
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hostile_architecture_allocates_nothing_of_its_size()
    {
        // Claims 2 layers of 2048 (about 50 M floats, inside the limits) over a few bytes of data.
        byte[] hostile = SafeTensorsBytes.EditHeader(ValidFile(), h =>
        {
            h["__metadata__"]!["hidden_size"] = "2048";
            h["__metadata__"]!["num_layers"] = "2";
        });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(hostile, "bad"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20);
        Assert.StartsWith("bad: tensor lstm.weight_ih_l0: shape: expected [8192, 5]", e.Message, StringComparison.Ordinal);

        // And a shape whose size overflows is caught as such.
        byte[] overflow = SafeTensorsBytes.EditHeader(ValidFile(), h => h["fc.bias"]!["shape"] = new JsonArray(2147483647, 2147483647, 2147483647));
        var e2 = Assert.Throws<ModelFormatException>(() => ModelFile.Load(overflow, "bad"));
        Assert.Equal("bad: tensor fc.bias: shape: expected a shape that fits in memory, found [2147483647, 2147483647, 2147483647]", e2.Message);
    }

    [Fact]
    public void A_save_that_fails_half_way_leaves_the_old_file_intact()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        var model = LstmModel.Create(Small, 5);
        ModelFile.Save(model, path);
        byte[] before = File.ReadAllBytes(path);

        // A NaN in the last tensor makes the writer fail after most of the data is written.
        var broken = model.Clone();
        broken.TensorData("fc.bias")[^1] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => ModelFile.Save(broken, path));
        Assert.Contains("fc.bias", e.Message, StringComparison.Ordinal);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void An_atomic_write_that_throws_midway_keeps_the_previous_content()
    {
        using var dir = new TempDirectory();
        string path = dir.File("f.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    private static byte[] Patch(byte[] file, int at, byte[] bytes)
    {
        var copy = (byte[])file.Clone();
        bytes.CopyTo(copy, at);
        return copy;
    }

    private static byte[] Offsets(byte[] file, string name, long shift, int extraData = 0) => SafeTensorsBytes.EditHeader(
        file,
        h =>
        {
            var offsets = h[name]!["data_offsets"]!.AsArray();
            long begin = (long)offsets[0]! + shift, end = (long)offsets[1]! + shift;
            h[name]!["data_offsets"] = new JsonArray(begin, end);
        },
        d => [.. d, .. new byte[extraData]]);

    private static byte[] AddExtraTensor(byte[] file) => SafeTensorsBytes.EditHeader(
        file,
        h =>
        {
            var (_, data) = SafeTensorsBytes.Split(file);
            h["extra.weight"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(1), ["data_offsets"] = new JsonArray(data.Length, data.Length + 4) };
        },
        d => [.. d, 0, 0, 0, 0]);
}
