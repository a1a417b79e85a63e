using System.Text.Json.Nodes;
using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.IO;

/// <summary>Format version 2: files that describe the network (cells, head, outputs), GRU models, and version 1 beside it.</summary>
public class ModelFileVersion2Tests
{
    private static readonly LstmConfig Gru = new LstmConfig(5, 6, 2, 4, 7) { Cell = CellKind.Gru };

    private static byte[] GruFile() => ModelFile.ToBytes(LstmModel.Create(Gru, 3));

    [Fact]
    public void A_gru_model_round_trips_bit_for_bit_in_version_2_with_nn_gru_names_and_predicts_the_same()
    {
        var model = LstmModel.Create(Gru, 42);
        byte[] file = ModelFile.ToBytes(model);
        var (header, _) = SafeTensorsBytes.Split(file);
        var metadata = header["__metadata__"]!;
        Assert.Equal("2", (string)metadata["format_version"]!);
        Assert.Equal("gru,gru", (string)metadata["cells"]!);
        Assert.Equal("classify_last_step", (string)metadata["head"]!);
        Assert.Equal("4", (string)metadata["outputs"]!);
        Assert.Equal("[18,6]", header["gru.weight_hh_l1"]!["shape"]!.ToJsonString());
        Assert.Null(header["lstm.weight_hh_l1"]);

        var loaded = ModelFile.Load(file, "gru.safetensors");
        Assert.Equal(Gru, loaded.Model.Config);
        Assert.Equal(model.Parameters.ToArray(), loaded.Model.Parameters.ToArray());
        var x = Engine.TestModels.Inputs(3, 7, 5, 4);
        var expected = new float[3 * 4];
        var actual = new float[3 * 4];
        using (var original = new LstmPredictor(model, 1))
        {
            original.Predict(x, 3, expected);
        }

        using (var reloaded = new LstmPredictor(loaded.Model, 1))
        {
            reloaded.Predict(x, 3, actual);
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void An_lstm_model_is_still_written_as_version_1_and_a_version_2_lstm_file_loads_too()
    {
        var config = new LstmConfig(5, 6, 2, 4, 7);
        var model = LstmModel.Create(config, 8);
        byte[] file = ModelFile.ToBytes(model);
        var (header, _) = SafeTensorsBytes.Split(file);
        Assert.Equal("1", (string)header["__metadata__"]!["format_version"]!);
        Assert.Null(header["__metadata__"]!["cells"]);

        byte[] version2 = SafeTensorsBytes.EditHeader(file, h =>
        {
            var m = h["__metadata__"]!;
            m["format_version"] = "2";
            m["cells"] = "lstm,lstm";
            m["head"] = "classify_last_step";
            m["outputs"] = "4";
        });
        var loaded = ModelFile.Load(version2, "v2.safetensors");
        Assert.Equal(config, loaded.Model.Config);
        Assert.Equal(model.Parameters.ToArray(), loaded.Model.Parameters.ToArray());
    }

    [Theory]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyEveryStep, "classify_every_step")]
    [InlineData(CellKind.Lstm, HeadKind.RegressLastStep, "regress_last_step")]
    [InlineData(CellKind.Gru, HeadKind.RegressEveryStep, "regress_every_step")]
    public void Every_head_round_trips_in_version_2(CellKind cell, HeadKind head, string name)
    {
        var config = new LstmConfig(5, 6, 2, 4, 7) { Cell = cell, Head = head };
        var model = LstmModel.Create(config, 5);
        byte[] file = ModelFile.ToBytes(model);
        var (header, _) = SafeTensorsBytes.Split(file);
        Assert.Equal("2", (string)header["__metadata__"]!["format_version"]!);
        Assert.Equal(name, (string)header["__metadata__"]!["head"]!);
        var loaded = ModelFile.Load(file, "head.safetensors");
        Assert.Equal(config, loaded.Model.Config);
        Assert.Equal(model.Parameters.ToArray(), loaded.Model.Parameters.ToArray());
    }

    [Fact]
    public void A_gru_file_without_edgelstm_metadata_is_read_from_its_shapes()
    {
        byte[] file = SafeTensorsBytes.EditHeader(GruFile(), h => h["__metadata__"] = new JsonObject { ["format"] = "pt" });
        var loaded = ModelFile.Load(file, "torch.safetensors");
        Assert.Equal(new LstmConfig(5, 6, 2, 4, 28) { Cell = CellKind.Gru }, loaded.Model.Config);
    }

    public static TheoryData<string, Action<JsonNode>, string> BadNetworks => new()
    {
        { "missing cells", m => m.AsObject().Remove("cells"), "bad: __metadata__.cells: expected the cell of each layer (e.g. \"lstm,lstm\"), found it missing" },
        { "mixed cells", m => m["cells"] = "gru,lstm", "bad: __metadata__.cells: expected 2 cells, all \"lstm\" or all \"gru\", found \"gru,lstm\"" },
        { "too few cells", m => m["cells"] = "gru", "bad: __metadata__.cells: expected 2 cells, all \"lstm\" or all \"gru\", found \"gru\"" },
        { "unknown cell", m => m["cells"] = "rnn,rnn", "bad: __metadata__.cells: expected 2 cells, all \"lstm\" or all \"gru\", found \"rnn,rnn\"" },
        { "unknown head", m => m["head"] = "regress_sometimes", "bad: __metadata__.head: expected one of classify_last_step, classify_every_step, regress_last_step, regress_every_step, found \"regress_sometimes\"" },
        { "outputs differ", m => m["outputs"] = "5", "bad: __metadata__.outputs: expected 4 (as num_classes), found \"5\"" },
        { "cells lie", m => m["cells"] = "lstm,lstm", "bad: tensor lstm.weight_ih_l0: expected it (shape [24, 5] for this architecture), found it missing" },
    };

    [Theory]
    [MemberData(nameof(BadNetworks))]
    public void A_version_2_file_whose_network_is_wrong_is_refused_naming_the_field(string what, Action<JsonNode> edit, string message)
    {
        byte[] bad = SafeTensorsBytes.EditHeader(GruFile(), h => edit(h["__metadata__"]!));
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(bad, "bad"));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{what}: {e.Message}");
    }
}

/// <summary>The training targets' mean: written and read as every metadata list of numbers is, and checked on loading.</summary>
public class TrainingTargetMeanTests
{
    private static readonly LstmConfig Regression = new(3, 4, 1, 2, 5) { Head = HeadKind.RegressLastStep };

    [Fact]
    public void The_mean_round_trips_exactly_and_a_file_without_it_has_none()
    {
        var model = LstmModel.Create(Regression, 1);
        float[] mean = [0.1f, -3.25e7f];
        var loaded = ModelFile.Load(ModelFile.ToBytes(model, new Dictionary<string, string> { [ModelFile.TrainingTargetMeanKey] = ModelFile.NumberList(mean) }));
        Assert.Equal(mean, loaded.TrainingTargetMean);
        Assert.Null(ModelFile.Load(ModelFile.ToBytes(model)).TrainingTargetMean);
    }

    /// <summary>Models written before the mean was a JSON array hold a bare comma-separated list: they still load.</summary>
    [Fact]
    public void A_mean_written_as_a_bare_list_by_earlier_versions_still_loads()
    {
        var bytes = ModelFile.ToBytes(LstmModel.Create(Regression, 1), new Dictionary<string, string> { [ModelFile.TrainingTargetMeanKey] = "0.1,-3.25E+07" });
        Assert.Equal([0.1f, -3.25e7f], ModelFile.Load(bytes).TrainingTargetMean);
    }

    [Theory]
    [InlineData("0.1;2", "expected a JSON array of at most 2 numbers, found invalid JSON")]
    [InlineData("0.1,2,3", "expected a JSON array of at most 2 numbers, found more")]
    [InlineData("[0.1]", "expected 2 numbers (one per output), found 1")]
    [InlineData("[0.1,1e39]", "expected finite float32 numbers, found \"1e39\" at element 1")]
    public void A_bad_mean_is_refused_naming_the_key(string text, string problem)
    {
        var bytes = ModelFile.ToBytes(LstmModel.Create(Regression, 1), new Dictionary<string, string> { [ModelFile.TrainingTargetMeanKey] = text });
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(bytes, "m.safetensors"));
        Assert.Contains("__metadata__.train.target_mean", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }
}
