using EdgeLstm.Data.Sequences;
using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.Engine;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Model;

/// <summary>Preprocessing in the model: its file form, hostile metadata, and the predictor and stream on raw readings.</summary>
public class PreprocessingTests
{
    private const int F = 3, W = 6, K = 2;

    private static readonly LstmConfig Forecaster = new(F, 5, 1, K, W) { Head = HeadKind.RegressLastStep };

    private static Preprocessing ForecastPreprocessing(bool relative) => new(
        inputs: new NormalizationStatistics([0.5f, -2f, 10f], [2f, 0.25f, 3f]),
        targets: new NormalizationStatistics([0.1f, -0.3f], [1.5f, 0.5f]),
        featureNames: ["co2", "temp, °C", "\"quoted\""],
        forecast: new ForecastSpec(W, 1, [0, 2], relative));

    private static LstmModel ForecastModel(bool relative = true)
    {
        var model = TestModels.Make(Forecaster, 5);
        model.Preprocessing = ForecastPreprocessing(relative);
        return model;
    }

    [Fact]
    public void A_model_with_preprocessing_round_trips_in_version_2_and_one_without_stays_version_1()
    {
        var model = ForecastModel();
        var loaded = ModelFile.Load(ModelFile.ToBytes(model), "m.safetensors");
        Assert.Equal("2", loaded.Metadata["format_version"]);
        var p = loaded.Model.Preprocessing!;
        Assert.Equal([0.5f, -2f, 10f], p.Inputs!.Mean);
        Assert.Equal([2f, 0.25f, 3f], p.Inputs.Scale);
        Assert.Equal([0.1f, -0.3f], p.Targets!.Mean);
        Assert.Equal([1.5f, 0.5f], p.Targets.Scale);
        Assert.Equal(["co2", "temp, °C", "\"quoted\""], p.FeatureNames!);
        Assert.Equal((W, 1, true), (p.Forecast!.Window, p.Forecast.Horizon, p.Forecast.RelativeToLast));
        Assert.Equal([0, 2], p.Forecast.TargetFeatures);
        Assert.Equal(model.Parameters.ToArray(), loaded.Model.Parameters.ToArray());

        // Floats round-trip exactly, however many digits they need.
        var awkward = TestModels.Make(new LstmConfig(2, 3, 1, 2, 4), 1);
        awkward.Preprocessing = new Preprocessing(new NormalizationStatistics([MathF.PI, 1e-30f], [float.Epsilon, 3.4e38f]), classNames: ["a,b", "ü"]);
        var back = ModelFile.Load(ModelFile.ToBytes(awkward), "a.safetensors");
        Assert.Equal("2", back.Metadata["format_version"]);
        Assert.Equal([MathF.PI, 1e-30f], back.Model.Preprocessing!.Inputs!.Mean);
        Assert.Equal([float.Epsilon, 3.4e38f], back.Model.Preprocessing.Inputs.Scale);
        Assert.Equal(["a,b", "ü"], back.Model.Preprocessing.ClassNames!);

        var plain = ModelFile.Load(ModelFile.ToBytes(TestModels.Make(new LstmConfig(2, 3, 1, 2, 4), 1)), "p.safetensors");
        Assert.Equal("1", plain.Metadata["format_version"]);
        Assert.Null(plain.Model.Preprocessing);
    }

    public static TheoryData<string, string?, string> HostileMetadata => new()
    {
        { "preprocessing.input_mean", "[1,2]", "expected 3 numbers" },
        { "preprocessing.input_mean", "[1,2,\"3\"]", "expected a JSON array" },
        { "preprocessing.input_mean", "[1,2,3", "invalid JSON" },
        { "preprocessing.input_mean", "[1,2,3] x", "invalid JSON" },
        { "preprocessing.input_mean", "[1,2,1e39]", "finite" },
        { "preprocessing.input_mean", "{}", "expected a JSON array" },
        { "preprocessing.input_mean", "[[1],2,3]", "expected a JSON array" },
        { "preprocessing.input_scale", "[1,0,3]", "finite positive" },
        { "preprocessing.input_scale", "[1,-1,3]", "finite positive" },
        { "preprocessing.input_scale", null, "preprocessing.input_scale: expected it beside" },
        { "preprocessing.target_scale", "[1,2,3,4,5]", "expected a JSON array of at most 2 numbers, found more" },
        { "preprocessing.feature_names", "[\"a\",\"b\"]", "expected 3 names" },
        { "preprocessing.feature_names", "[\"a\",\"b\",\"\\ud800\"]", "valid Unicode" },
        { "preprocessing.window", "0", "expected a whole number from 1" },
        { "preprocessing.window", "5", "fits the model" },
        { "preprocessing.horizon", null, "preprocessing.horizon: expected it beside" },
        { "preprocessing.horizon", "2", "fits the model" },
        { "preprocessing.relative_to_last", "yes", "expected \"true\" or \"false\"" },
        { "preprocessing.target_features", "[0,3]", "expected input indices from 0 to 2" },
        { "preprocessing.target_features", "[0,-1]", "expected input indices" },
        { "preprocessing.target_features", "[0,01]", "invalid JSON" },
        { "preprocessing.target_features", "[0]", "fits the model" },
        { "preprocessing.class_names", "[\"x\",\"y\"]", "fits the model" },
        { "preprocessing.mean", "[1]", "unknown preprocessing key" },
    };

    [Theory]
    [MemberData(nameof(HostileMetadata))]
    public void Hostile_preprocessing_metadata_is_a_model_format_error_naming_the_key(string key, string? value, string expected)
    {
        byte[] file = SafeTensorsBytes.EditHeader(ModelFile.ToBytes(ForecastModel()), h =>
        {
            var metadata = h["__metadata__"]!.AsObject();
            metadata.Remove(key);
            if (value is not null)
            {
                metadata[key] = value;
            }
        });
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(file, "hostile.safetensors"));
        Assert.StartsWith("hostile.safetensors: __metadata__.preprocessing", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Preprocessing_in_a_version_1_file_is_refused_naming_the_key()
    {
        var model = TestModels.Make(new LstmConfig(2, 3, 1, 2, 4), 1);
        model.Preprocessing = new Preprocessing(classNames: ["no", "yes"]);
        byte[] file = SafeTensorsBytes.EditHeader(ModelFile.ToBytes(model), h =>
        {
            var metadata = h["__metadata__"]!.AsObject();
            metadata["format_version"] = "1";
            foreach (string key in new[] { "cells", "head", "outputs" })
            {
                metadata.Remove(key);
            }
        });
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(file, "v1.safetensors"));
        Assert.Contains("__metadata__.preprocessing.class_names: expected no preprocessing in a format_version 1 file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preprocessing_that_does_not_fit_the_architecture_is_refused_when_set()
    {
        var model = TestModels.Make(Forecaster, 1);
        Assert.Throws<ArgumentException>(() => model.Preprocessing = new Preprocessing(new NormalizationStatistics([0f], [1f])));
        Assert.Throws<ArgumentException>(() => model.Preprocessing = new Preprocessing(classNames: ["a", "b"]));
        Assert.Throws<ArgumentException>(() => model.Preprocessing = new Preprocessing(forecast: new ForecastSpec(W, 2, [0, 2])));
        Assert.Null(model.Preprocessing);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_predictor_on_raw_readings_equals_the_bare_network_on_hand_prepared_inputs(bool relative)
    {
        const int B = 4;
        var model = ForecastModel(relative);
        var bare = model.Clone();
        bare.Preprocessing = null;
        float[] raw = TestModels.Inputs(B, W, F, 9);
        for (int i = 0; i < raw.Length; i++)
        {
            raw[i] = (raw[i] * 50f) + 300f; // readings far from the network's range, as CO2 in ppm would be
        }

        float[] rawCopy = (float[])raw.Clone();
        var p = model.Preprocessing!;

        // By hand: minus the window's last step (when relative), then (x − mean) / scale.
        float[] hand = (float[])raw.Clone();
        for (int b = 0; b < B; b++)
        {
            for (int t = 0; t < W; t++)
            {
                for (int f = 0; f < F; f++)
                {
                    int i = (((b * W) + t) * F) + f;
                    float x = relative ? (t == W - 1 ? 0f : raw[i] - raw[(((b * W) + W - 1) * F) + f]) : raw[i];
                    hand[i] = (x - p.Inputs!.Mean[f]) / p.Inputs.Scale[f];
                }
            }
        }

        var expected = new float[B * K];
        using (var predictor = new LstmPredictor(bare, 1))
        {
            predictor.Predict(hand, B, expected);
        }

        int[] targets = [0, 2];
        for (int b = 0; b < B; b++)
        {
            for (int k = 0; k < K; k++)
            {
                float y = (expected[(b * K) + k] * p.Targets!.Scale[k]) + p.Targets.Mean[k];
                expected[(b * K) + k] = relative ? y + raw[(((b * W) + W - 1) * F) + targets[k]] : y;
            }
        }

        var actual = new float[B * K];
        using (var predictor = new LstmPredictor(model, 1))
        {
            predictor.Predict(raw, B, actual);
        }

        Assert.Equal(expected, actual);
        Assert.Equal(rawCopy, raw); // the caller's readings are not written
        Assert.True(!relative || actual.Average() > 100f, "a relative forecast is back in the data's units (readings near 300)");
    }

    [Fact]
    public void Variable_lengths_take_each_samples_own_last_step_as_the_reference()
    {
        var model = ForecastModel();
        float[] raw = TestModels.Inputs(2, W, F, 3);
        int[] lengths = [W, 3];
        var batch = new float[2 * K];
        using var predictor = new LstmPredictor(model, 1);
        predictor.Predict(raw, 2, lengths, batch);

        // Sample 1 alone, cut to its 3 steps, gives the same answer.
        var alone = new float[K];
        predictor.Predict(raw.AsSpan(W * F, 3 * F), 1, alone);
        Assert.Equal(alone, batch.AsSpan(K, K).ToArray());
    }

    /// <summary>
    /// A per-step regression with target scaling: a padded step's outputs are zeros, as for any model (restoring the
    /// data's units once turned them into the targets' means), and the real steps are those of the sample alone.
    /// </summary>
    [Fact]
    public void Padded_steps_of_a_scaled_per_step_regression_are_zeros()
    {
        var config = new LstmConfig(F, 5, 2, 3, W) { Head = HeadKind.RegressEveryStep };
        var model = TestModels.Make(config, 2);
        model.Preprocessing = new Preprocessing(
            new NormalizationStatistics([0.5f, -2f, 10f], [2f, 0.25f, 3f]),
            new NormalizationStatistics([1f, 2f, 3f], [4f, 5f, 6f]));
        float[] raw = TestModels.Inputs(2, W, F, 4);
        var outputs = new float[2 * W * 3];
        using var predictor = new LstmPredictor(model, 1);
        predictor.Predict(raw, 2, [W, 2], outputs);

        Assert.All(outputs.AsSpan((W + 2) * 3).ToArray(), v => Assert.Equal(0f, v));
        var alone = new float[2 * 3];
        predictor.Predict(raw.AsSpan(W * F, 2 * F), 1, alone);
        Assert.Equal(alone, outputs.AsSpan(W * 3, 2 * 3).ToArray());
    }

    [Fact]
    public void A_stream_normalises_each_raw_step_like_the_predictor_and_refuses_a_relative_forecaster()
    {
        var config = new LstmConfig(F, 5, 2, 3, W) { Head = HeadKind.RegressEveryStep };
        var model = TestModels.Make(config, 2);
        model.Preprocessing = new Preprocessing(
            new NormalizationStatistics([0.5f, -2f, 10f], [2f, 0.25f, 3f]),
            new NormalizationStatistics([1f, 2f, 3f], [4f, 5f, 6f]));
        float[] raw = TestModels.Inputs(1, W, F, 4);
        var whole = new float[W * 3];
        using (var predictor = new LstmPredictor(model, 1))
        {
            predictor.Predict(raw, 1, whole);
        }

        using var stream = new LstmStream(model);
        var step = new float[3];
        for (int t = 0; t < W; t++)
        {
            stream.Step(raw.AsSpan(t * F, F), default, step);
            Assert.Equal(whole.AsSpan(t * 3, 3).ToArray(), step);
        }

        var e = Assert.Throws<NotSupportedException>(() => new LstmStream(ForecastModel(relative: true)));
        Assert.Contains("relative to their last step", e.Message, StringComparison.Ordinal);
    }
}
