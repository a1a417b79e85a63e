using System.Text.Json;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// Variable-length batches against PyTorch's pack_padded_sequence (<c>Fixtures/packed_golden.json</c>, written by
/// <c>tools/golden/make_packed_golden.py</c>): lengths [4, 1, 3] of 4 steps, every head on LSTM and GRU stacks;
/// predictions at the real steps, the loss (a per-step head's is the mean over the real steps), every parameter's
/// gradient and the input's. The padded steps of the fixture's inputs and labels hold arbitrary values.
/// </summary>
public sealed class PyTorchPackedGoldenTests
{
    private static readonly Lazy<(JsonElement Config, Dictionary<string, (int[] Shape, double[] Data)> Tensors)> Fixture = new(() => PyTorchHeadGoldenTests.Load("packed_golden.json"));

    [Theory]
    [InlineData("lstm_classify_last_step", HeadKind.ClassifyLastStep, 1)]
    [InlineData("gru_classify_last_step", HeadKind.ClassifyLastStep, 2)]
    [InlineData("lstm_classify_every_step", HeadKind.ClassifyEveryStep, 2)]
    [InlineData("gru_classify_every_step", HeadKind.ClassifyEveryStep, 1)]
    [InlineData("lstm_regress_last_step", HeadKind.RegressLastStep, 2)]
    [InlineData("gru_regress_every_step", HeadKind.RegressEveryStep, 1)]
    public void Packed_batches_match_pytorch(string name, HeadKind head, int threads)
    {
        var (c, tensors) = Fixture.Value;
        double[] Get(string key) => tensors[$"{name}.{key}"].Data;
        var cell = name.StartsWith("gru", StringComparison.Ordinal) ? CellKind.Gru : CellKind.Lstm;
        int batch = c.GetProperty("batch").GetInt32(), steps = c.GetProperty("steps").GetInt32(), k = c.GetProperty("outputs").GetInt32();
        int[] lengths = [.. tensors["lengths"].Data.Select(v => (int)v)];
        Assert.Contains(1, lengths);
        Assert.Contains(steps, lengths);
        var config = new LstmConfig(c.GetProperty("input_size").GetInt32(), c.GetProperty("hidden_size").GetInt32(), c.GetProperty("layers").GetInt32(), k, steps) { Cell = cell, Head = head };
        var model = LstmModel.CreateEmpty(config);
        foreach (var tensor in model.Tensors)
        {
            Assert.Equal(tensors[$"{name}.{tensor.Name}"].Shape, tensor.Shape);
            PyTorchHeadGoldenTests.Float32(Get(tensor.Name)).CopyTo(model.TensorData(tensor));
        }

        model.MarkParametersChanged();
        float[] x = PyTorchHeadGoldenTests.Float32(Get("x"));
        int[] labels = config.HeadRegresses ? [] : [.. Get("labels").Select(v => (int)v)];
        float[] targets = config.HeadRegresses ? PyTorchHeadGoldenTests.Float32(Get("targets")) : [];

        var results = new float[Get("results").Length];
        using (var predictor = new LstmPredictor(model, threads))
        {
            predictor.Predict(x, batch, lengths, results);
        }

        // A per-step head's rows past a sample's length are PyTorch's fc(0) padding: only the real rows are compared.
        for (int b = 0; b < batch; b++)
        {
            int start = config.HeadReadsEveryStep ? b * steps * k : b * k, count = config.HeadReadsEveryStep ? lengths[b] * k : k;
            PyTorchHeadGoldenTests.AssertClose($"{name}: results of sample {b}", Get("results").AsSpan(start, count).ToArray(), results.AsSpan(start, count));
        }

        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, KeepProbability = 1f, Loss = LossReduction.MeanOverBatch });
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(x, batch, labels, targets, lengths, training: false);
        PyTorchHeadGoldenTests.AssertClose($"{name}: loss", Get("loss"), [loss]);
        foreach (var tensor in model.Tensors)
        {
            PyTorchHeadGoldenTests.AssertClose($"{name}: grad.{tensor.Name}", Get("grad." + tensor.Name), trainer.Gradients.Slice(tensor.Offset, tensor.Length));
        }

        PyTorchHeadGoldenTests.AssertClose($"{name}: grad.x", Get("grad.x"), trainer.InputGradient);
    }
}
