using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Quantization;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Quantization;

/// <summary>
/// Int8 model files (format_version 3): what is written, that it reads back as the same int8 model, and that every
/// fault (scales missing, zero, negative, non-finite or of the wrong shape; wrong dtypes; version and metadata that
/// disagree) is a <see cref="ModelFormatException"/> naming the tensor or key.
/// </summary>
public class Int8ModelFileTests
{
    private static readonly LstmConfig Small = new(5, 6, 2, 4, 7);

    private static LstmModel Int8Model(LstmConfig config, ulong seed = 3) => Int8Weights.Quantize(LstmModel.Create(config, seed));

    private static byte[] ValidFile() => ModelFile.ToBytes(Int8Model(Small), new Dictionary<string, string> { ["train.seed"] = "3" });

    [Theory]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyLastStep)]
    [InlineData(CellKind.Gru, HeadKind.RegressEveryStep)]
    public void Round_trips_the_int8_values_scales_and_biases_bit_for_bit(CellKind cell, HeadKind head)
    {
        var config = Small with { Cell = cell, Head = head };
        var model = Int8Model(config);
        using var dir = new TempDirectory();
        string path = dir.File("m.int8.safetensors");
        ModelFile.Save(model, path);

        var loaded = ModelFile.Load(path);
        Assert.Equal(config, loaded.Model.Config);
        Assert.NotNull(loaded.Model.Int8Weights);
        Assert.Equal(model.Int8Weights!.Names.Order(), loaded.Model.Int8Weights!.Names.Order());
        foreach (string name in model.Int8Weights.Names)
        {
            Assert.Equal(model.Int8Weights[name].Values.ToArray(), loaded.Model.Int8Weights[name].Values.ToArray());
            Assert.Equal(model.Int8Weights[name].Scales.ToArray(), loaded.Model.Int8Weights[name].Scales.ToArray());
        }

        // The fp32 parameters are the dequantised weights and the original biases, as in memory.
        Assert.Equal(model.Parameters.ToArray(), loaded.Model.Parameters.ToArray());
        Assert.Equal("3", loaded.Metadata[ModelFile.FormatVersionKey]);
        Assert.Equal("int8", loaded.Metadata[Int8ModelFile.WeightDTypeKey]);
        Assert.Equal("symmetric_per_row", loaded.Metadata[Int8ModelFile.QuantizationKey]);
    }

    [Fact]
    public void Weights_are_I8_with_F32_scales_and_biases_stay_F32()
    {
        var (header, _) = SafeTensorsBytes.Split(ValidFile());
        var metadata = header["__metadata__"]!;
        Assert.Equal("3", (string)metadata["format_version"]!);
        Assert.Equal("int8", (string)metadata["weight_dtype"]!);
        Assert.Equal("symmetric_per_row", (string)metadata["quantization"]!);
        Assert.Equal("lstm,lstm", (string)metadata["cells"]!);
        Assert.Equal("3", (string)metadata["train.seed"]!);
        foreach (string w in new[] { "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l1", "lstm.weight_hh_l1", "fc.weight" })
        {
            Assert.Equal("I8", (string)header[w]!["dtype"]!);
            Assert.Equal("F32", (string)header[w + ".scale"]!["dtype"]!);
            Assert.Equal(header[w]!["shape"]![0]!.ToJsonString(), header[w + ".scale"]!["shape"]![0]!.ToJsonString());
        }

        Assert.Equal("[24,5]", header["lstm.weight_ih_l0"]!["shape"]!.ToJsonString());
        Assert.Equal("F32", (string)header["lstm.bias_ih_l1"]!["dtype"]!);
        Assert.Equal("F32", (string)header["fc.bias"]!["dtype"]!);
        Assert.Equal(5 + 5 + 4 + 1 + 1, header.Count); // 5 weights, their 5 scales, 4 LSTM biases, fc.bias, metadata
    }

    [Fact]
    public void The_recipe_model_file_is_at_most_0_26_of_its_fp32_file()
    {
        var fp32 = LstmModel.Create(LstmConfig.Mnist, 1);
        long before = ModelFile.ToBytes(fp32).LongLength;
        long after = ModelFile.ToBytes(Int8Weights.Quantize(fp32)).LongLength;
        Assert.True(after <= 0.26 * before, $"{after} of {before} bytes");
        Assert.True(after >= 0.25 * before, $"{after} of {before} bytes: less than the int8 values alone");
    }

    [Fact]
    public void A_loaded_int8_model_predicts_and_streams_exactly_as_the_quantised_model_in_memory()
    {
        var model = Int8Model(Small, 11);
        var loaded = ModelFile.Load(ModelFile.ToBytes(model), "m").Model;
        var inputs = new float[3 * Small.Steps * Small.InputSize];
        var random = new SeededRandom(5);
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = random.NextSingle();
        }

        var expected = new float[3 * Small.Classes];
        var actual = new float[3 * Small.Classes];
        using (var p = new LstmPredictor(model, 1))
        {
            p.Predict(inputs, 3, expected);
        }

        using (var p = new LstmPredictor(loaded, 1))
        {
            p.Predict(inputs, 3, actual);
        }

        Assert.Equal(expected, actual);

        // The streaming session too: the same step-by-step outputs from the loaded model as from the one in memory.
        Assert.NotNull(loaded.Int8Weights);
        Assert.Equal(Stream(model, inputs), Stream(loaded, inputs));
    }

    /// <summary>The probabilities after each step of a batch-3 stream over <paramref name="inputs"/> (sample-major).</summary>
    private static float[] Stream(LstmModel model, float[] inputs)
    {
        using var stream = new LstmStream(model, 3, 1);
        var step = new float[3 * Small.InputSize];
        var all = new float[Small.Steps * 3 * Small.Classes];
        for (int t = 0; t < Small.Steps; t++)
        {
            for (int b = 0; b < 3; b++)
            {
                inputs.AsSpan(((b * Small.Steps) + t) * Small.InputSize, Small.InputSize).CopyTo(step.AsSpan(b * Small.InputSize));
            }

            stream.Step(step, probabilities: all.AsSpan(t * 3 * Small.Classes, 3 * Small.Classes));
        }

        return all;
    }

    public static TheoryData<string, Func<byte[], byte[]>, string> Malformed => new()
    {
        { "scales missing", f => RemoveTensor(f, "fc.weight.scale"), "bad: tensor fc.weight.scale: expected the F32 per-row scales of fc.weight, found them missing" },
        { "zero scale for a non-zero row", f => PatchFloat(f, "lstm.weight_hh_l1.scale", 2, 0f), "bad: tensor lstm.weight_hh_l1.scale: expected a positive scale for row 2, which holds " },
        { "negative scale", f => PatchFloat(f, "fc.weight.scale", 1, -0.5f), "bad: tensor fc.weight.scale: expected a finite number ≥ 0 for row 1, found -0.5" },
        { "NaN scale", f => PatchFloat(f, "lstm.weight_ih_l0.scale", 0, float.NaN), "bad: tensor lstm.weight_ih_l0.scale: element 0: expected a finite number, found NaN" },
        { "infinite scale", f => PatchFloat(f, "lstm.weight_ih_l0.scale", 3, float.PositiveInfinity), "bad: tensor lstm.weight_ih_l0.scale: element 3: expected a finite number, found Infinity" },
        { "scales of the wrong shape", f => SafeTensorsBytes.EditHeader(f, h => h["fc.weight.scale"]!["shape"] = new JsonArray(2, 2)), "bad: tensor fc.weight.scale: shape: expected [4] (one scale per row of fc.weight), found [2, 2]" },
        { "a value of -128", f => PatchByte(f, "fc.weight", 5, 0x80), "bad: tensor fc.weight: expected -127..127 (symmetric), found -128 at row 0, column 5" },
        { "weight as F32", f => Rewrite(f, "fc.weight", (w, name) => w.Add(name, [4, 6], new float[24])), "bad: tensor fc.weight: dtype: expected I8 (an int8 weight), found F32" },
        { "bias as I8", f => Rewrite(f, "fc.bias", (w, name) => w.Add(name, [4], new sbyte[4])), "bad: tensor fc.bias: dtype: expected F32, found I8" },
        { "scales as I8", f => Rewrite(f, "fc.weight.scale", (w, name) => w.Add(name, [4], new sbyte[] { 1, 1, 1, 1 })), "bad: tensor fc.weight.scale: dtype: expected F32 (scales), found I8" },
        { "weight of the wrong shape", f => SafeTensorsBytes.EditHeader(f, h => h["fc.weight"]!["shape"] = new JsonArray(6, 4)), "bad: tensor fc.weight: shape: expected [4, 6], found [6, 4]" },
        { "an extra scale for a bias", f => Rewrite(f, "fc.bias", (w, name) => { w.Add(name, [4], new float[4]); w.Add(name + ".scale", [4], new float[4]); }), "bad: tensor fc.bias.scale: expected no such tensor in this model, found it (extra tensor)" },
        { "version 3 without weight_dtype", f => Metadata(f, m => m.Remove("weight_dtype")), "bad: __metadata__.weight_dtype: expected \"int8\" (format_version 3 is the int8 weight format), found it missing" },
        { "version 3 saying float32", f => Metadata(f, m => m["weight_dtype"] = "float32"), "bad: __metadata__.weight_dtype: expected \"int8\" (format_version 3 is the int8 weight format), found \"float32\"" },
        { "another scheme", f => Metadata(f, m => m["quantization"] = "asymmetric_per_tensor"), "bad: __metadata__.quantization: expected \"symmetric_per_row\" (the only scheme this version reads), found \"asymmetric_per_tensor\"" },
        { "no scheme", f => Metadata(f, m => m.Remove("quantization")), "bad: __metadata__.quantization: expected \"symmetric_per_row\" (the only scheme this version reads), found it missing" },
        { "an int8 checkpoint", f => Metadata(f, m => m["kind"] = "checkpoint"), "bad: __metadata__.kind: expected \"model\" (int8 weights are not trained, so there are no int8 checkpoints), found \"checkpoint\"" },
        { "version 2 saying int8", f => Metadata(f, m => m["format_version"] = "2"), "bad: __metadata__.weight_dtype: expected \"float32\" or no entry in a format_version 2 file (int8 weights are format_version 3), found \"int8\"" },
        { "version 1 with I8 tensors", f => Metadata(f, m => { m["format_version"] = "1"; m.Remove("weight_dtype"); }), "bad: tensor lstm.weight_ih_l0: dtype: expected F32 in a format_version 1 file (int8 weights are format_version 3), found I8" },
        { "version 2 with I8 tensors", f => Metadata(f, m => { m["format_version"] = "2"; m["weight_dtype"] = "float32"; }), "bad: tensor lstm.weight_ih_l0: dtype: expected F32 in a format_version 2 file (int8 weights are format_version 3), found I8" },
        { "no EdgeLstm metadata", f => SafeTensorsBytes.EditHeader(f, h => h["__metadata__"] = new JsonObject { ["format"] = "pt" }), "bad: tensor lstm.weight_ih_l0: dtype: expected F32 in a file without EdgeLstm metadata (int8 weights are format_version 3), found I8" },
        { "a newer version", f => Metadata(f, m => m["format_version"] = "4"), "bad: __metadata__.format_version: expected 3 or lower, found 4 (written by a newer EdgeLstm; upgrade to read it)" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_int8_files_are_refused_naming_the_tensor_or_key(string what, Func<byte[], byte[]> corrupt, string message)
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(corrupt(ValidFile()), "bad"));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{what}: {e.Message}");
    }

    [Fact]
    public void Loading_copies_the_fp32_parameters_once()
    {
        // The loader allocates the model's fp32 parameters once and dequantises into them; it used to clone them a
        // second time to attach the int8 weights. The recipe's model, so the parameters dwarf everything else read.
        var model = Int8Model(LstmConfig.Mnist);
        var bytes = ModelFile.ToBytes(model);
        long parameterBytes = 4L * model.Parameters.Length;

        long before = GC.GetAllocatedBytesForCurrentThread();
        var loaded = ModelFile.Load(bytes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        string sizes = $"loading allocated {allocated} B; the fp32 parameters are {parameterBytes} B, the int8 weights {model.Int8Weights!.WeightBytes} B";
        Assert.True(loaded.Model.Parameters.SequenceEqual(model.Parameters), "the same parameters");
        Assert.True(allocated < parameterBytes + (2 * model.Int8Weights.WeightBytes), sizes);
    }

    [Fact]
    public void The_checkpoint_reader_refuses_an_int8_file()
    {
        var e = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(ValidFile(), "bad"));
        Assert.StartsWith("bad: tensor ", e.Message, StringComparison.Ordinal);
        Assert.Contains("dtype: expected F32, found I8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_int8_model_is_never_written_as_a_checkpoint()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelFile.CreateWriter(Int8Model(Small), "checkpoint", null));
        Assert.Contains("quantize after training", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_fp32_file_may_say_weight_dtype_float32_and_still_loads_as_fp32()
    {
        byte[] fp32 = ModelFile.ToBytes(LstmModel.Create(Small, 2), new Dictionary<string, string> { ["weight_dtype"] = "float32" });
        var loaded = ModelFile.Load(fp32, "m");
        Assert.Null(loaded.Model.Int8Weights);
        Assert.Equal("1", loaded.Metadata[ModelFile.FormatVersionKey]);
    }

    private static byte[] Metadata(byte[] file, Action<JsonObject> edit) => SafeTensorsBytes.EditHeader(file, h => edit(h["__metadata__"]!.AsObject()));

    /// <summary>The file with <paramref name="name"/>'s data section bytes located through its header.</summary>
    private static int DataStart(byte[] file, string name)
    {
        var (header, _) = SafeTensorsBytes.Split(file);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
        return (int)(8 + headerLength + (long)header[name]!["data_offsets"]![0]!);
    }

    private static byte[] PatchFloat(byte[] file, string name, int index, float value)
    {
        byte[] copy = (byte[])file.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(DataStart(file, name) + (4 * index)), value);
        return copy;
    }

    private static byte[] PatchByte(byte[] file, string name, int index, byte value)
    {
        byte[] copy = (byte[])file.Clone();
        copy[DataStart(file, name) + index] = value;
        return copy;
    }

    private static byte[] RemoveTensor(byte[] file, string name) => Rewrite(file, name, (_, _) => { });

    /// <summary>The file rewritten with the same metadata and tensors, except <paramref name="name"/>, which <paramref name="replace"/> writes (or leaves out).</summary>
    private static byte[] Rewrite(byte[] file, string name, Action<SafeTensorsWriter, string> replace)
    {
        using var reader = SafeTensorsReader.Open(file, "valid", SafeTensorsDTypes.F32 | SafeTensorsDTypes.I8);
        var writer = new SafeTensorsWriter();
        foreach (var (key, value) in reader.Metadata)
        {
            writer.SetMetadata(key, value);
        }

        foreach (var entry in reader.Entries)
        {
            int[] shape = [.. entry.Shape.Select(d => (int)d)];
            if (entry.Name == name)
            {
                replace(writer, name);
            }
            else if (entry.DType == "I8")
            {
                var values = new sbyte[entry.ElementCount];
                reader.ReadInto(entry, values);
                writer.Add(entry.Name, shape, values);
            }
            else
            {
                var values = new float[entry.ElementCount];
                reader.ReadInto(entry, values);
                writer.Add(entry.Name, shape, values);
            }
        }

        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }
}
