using System.Text.Json;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// Variable-length batches against PyTorch's pack_padded_sequence (<c>Fixtures/packed_golden.json</c>, written by
/// <c>tools/golden/make_packed_golden.py</c>): lengths [4, 1, 3] of 4 steps, every head on LSTM and GRU stacks;
/// predictions at the real steps (zeros past a length), the top layer's outputs as pad_packed_sequence pads them, h_n, the loss (a per-step head's is the mean over the real steps), every parameter's
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
    [InlineData("gru_regress_last_step", HeadKind.RegressLastStep, 1)]
    [InlineData("lstm_regress_every_step", HeadKind.RegressEveryStep, 2)]
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
        int hidden = config.HiddenSize;
        var outputs = new float[steps * batch * hidden];
        var finalH = new float[config.Layers * batch * hidden];
        using (var predictor = new LstmPredictor(model, threads))
        {
            predictor.Predict(x, batch, lengths, results);
            var again = new float[results.Length];
            predictor.Run(x, batch, lengths, outputs, default, finalH, again);
            Assert.Equal(results, again);
        }

        // A per-step head's real rows against PyTorch's; its rows past a sample's length are zeros (PyTorch's would be
        // fc applied to pad_packed_sequence's zero padding: there is no step there to predict).
        for (int b = 0; b < batch; b++)
        {
            int start = config.HeadReadsEveryStep ? b * steps * k : b * k, count = config.HeadReadsEveryStep ? lengths[b] * k : k;
            PyTorchHeadGoldenTests.AssertClose($"{name}: results of sample {b}", Get("results").AsSpan(start, count).ToArray(), results.AsSpan(start, count));
            if (config.HeadReadsEveryStep)
            {
                Assert.All(results.AsSpan(start + count, (steps - lengths[b]) * k).ToArray(), v => Assert.Equal(0f, v));
            }
        }

        // The top layer's outputs at every step as pad_packed_sequence gives them, zeros past each length included
        // (PyTorch's are batch-major [B, T, H], EdgeLstm's time-major [T×B×H]), and h_n: each sample's own last step.
        double[] torchOutputs = Get("outputs");
        var batchMajor = new float[outputs.Length];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                outputs.AsSpan(((t * batch) + b) * hidden, hidden).CopyTo(batchMajor.AsSpan(((b * steps) + t) * hidden));
                if (t >= lengths[b])
                {
                    Assert.All(torchOutputs.AsSpan(((b * steps) + t) * hidden, hidden).ToArray(), v => Assert.Equal(0.0, v));
                    Assert.All(batchMajor.AsSpan(((b * steps) + t) * hidden, hidden).ToArray(), v => Assert.Equal(0f, v));
                }
            }
        }

        PyTorchHeadGoldenTests.AssertClose($"{name}: outputs", torchOutputs, batchMajor);
        PyTorchHeadGoldenTests.AssertClose($"{name}: h_n", Get("h_n"), finalH);

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
