using System.Text.Json;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests;

/// <summary>
/// EdgeLstm's heads against PyTorch: per-step classification (cross_entropy over every row) and regression (mse_loss)
/// of the last step or of every step, on LSTM and GRU stacks: predictions, loss, every parameter's gradient and the
/// input's. The fixture is <c>Fixtures/heads_golden.json</c> (<c>tools/golden/make_head_golden.py</c>, float64 from
/// float32 inputs and parameters); the tolerance is <see cref="PyTorchGoldenTests"/>'s and for the same reasons.
/// </summary>
public sealed class PyTorchHeadGoldenTests
{
    private static readonly Lazy<(JsonElement Config, Dictionary<string, (int[] Shape, double[] Data)> Tensors)> Fixture = new(() => Load("heads_golden.json"));

    [Theory]
    [InlineData("lstm_classify_every_step", 1)]
    [InlineData("gru_classify_every_step", 2)]
    [InlineData("lstm_regress_last_step", 2)]
    [InlineData("gru_regress_every_step", 1)]
    public void Predictions_loss_and_gradients_match_pytorch(string name, int threads)
    {
        var (c, tensors) = Fixture.Value;
        double[] Get(string key) => tensors[$"{name}.{key}"].Data;
        var cell = name.StartsWith("gru", StringComparison.Ordinal) ? CellKind.Gru : CellKind.Lstm;
        var head = name[(name.IndexOf('_', StringComparison.Ordinal) + 1)..] switch
        {
            "classify_every_step" => HeadKind.ClassifyEveryStep,
            "regress_last_step" => HeadKind.RegressLastStep,
            _ => HeadKind.RegressEveryStep,
        };
        int batch = c.GetProperty("batch").GetInt32();
        var config = new LstmConfig(c.GetProperty("input_size").GetInt32(), c.GetProperty("hidden_size").GetInt32(), c.GetProperty("layers").GetInt32(), c.GetProperty("outputs").GetInt32(), c.GetProperty("steps").GetInt32()) { Cell = cell, Head = head };
        var model = LstmModel.CreateEmpty(config);
        foreach (var tensor in model.Tensors)
        {
            Assert.Equal(tensors[$"{name}.{tensor.Name}"].Shape, tensor.Shape);
            Float32(Get(tensor.Name)).CopyTo(model.TensorData(tensor));
        }

        model.MarkParametersChanged();
        float[] x = Float32(Get("x"));
        int[] labels = config.HeadRegresses ? [] : [.. Get("labels").Select(v => (int)v)];
        float[] targets = config.HeadRegresses ? Float32(Get("targets")) : [];

        var results = new float[Get("results").Length];
        using (var predictor = new LstmPredictor(model, threads))
        {
            predictor.Predict(x, batch, results);
        }

        AssertClose($"{name}: results", Get("results"), results);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, KeepProbability = 1f, Loss = LossReduction.MeanOverBatch });
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(x, batch, labels, targets, training: false);
        AssertClose($"{name}: loss", Get("loss"), [loss]);
        foreach (var tensor in model.Tensors)
        {
            AssertClose($"{name}: grad.{tensor.Name}", Get("grad." + tensor.Name), trainer.Gradients.Slice(tensor.Offset, tensor.Length));
        }

        AssertClose($"{name}: grad.x", Get("grad.x"), trainer.InputGradient);
    }

    internal static void AssertClose(string what, double[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = (1e-4 * Math.Abs(expected[i])) + (1e-5 * scale);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{what}[{i}]: EdgeLstm {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    internal static float[] Float32(double[] data)
    {
        var values = data.Select(v => (float)v).ToArray();
        Assert.True(values.Select(v => (double)v).SequenceEqual(data), "The fixture's inputs and parameters must be float32 values.");
        return values;
    }

    /// <summary>A golden fixture of tools/golden: its config and its tensors by name.</summary>
    internal static (JsonElement, Dictionary<string, (int[], double[])>) Load(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", file)));
        var tensors = new Dictionary<string, (int[], double[])>(StringComparer.Ordinal);
        foreach (var t in document.RootElement.GetProperty("tensors").EnumerateObject())
        {
            tensors.Add(t.Name, ([.. t.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())], [.. t.Value.GetProperty("data").EnumerateArray().Select(e => e.GetDouble())]));
        }

        return (document.RootElement.GetProperty("config").Clone(), tensors);
    }
}
