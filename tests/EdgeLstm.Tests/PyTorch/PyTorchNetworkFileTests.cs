using System.Text.Json;
using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.PyTorch;

/// <summary>
/// Networks built and trained in PyTorch and saved by <c>edgelstm_torch.save</c> as format_version 2 (a GRU classifying
/// every step, an LSTM regressing every step, a GRU regressing its last step; <c>tools/pytorch/make_network_fixtures.py</c>):
/// EdgeLstm reads their cell and head from the file and gives PyTorch's results on a padded batch of mixed lengths
/// (pack_padded_sequence), with zeros where PyTorch's per-step rows are padding. No Python is needed to run these.
/// </summary>
public sealed class PyTorchNetworkFileTests
{
    // Both sides compute in float32 from the same weights; they differ in summation order and EdgeLstm's activations.
    // A wrong gate order, bias or head moves results by 1e-2 or more.
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData("gru_every_step", CellKind.Gru, HeadKind.ClassifyEveryStep, 1)]
    [InlineData("lstm_regress_every_step", CellKind.Lstm, HeadKind.RegressEveryStep, 2)]
    [InlineData("gru_regress_last_step", CellKind.Gru, HeadKind.RegressLastStep, 1)]
    public void A_pytorch_network_gives_pytorchs_results_on_a_variable_length_batch(string name, CellKind cell, HeadKind head, int threads)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Fixture("pytorch_networks.json")));
        var root = json.RootElement;
        var entry = root.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        int[] lengths = [.. root.GetProperty("lengths").EnumerateArray().Select(v => v.GetInt32())];
        int steps = root.GetProperty("steps").GetInt32(), batch = lengths.Length;
        float[] inputs = [.. entry.GetProperty("inputs").EnumerateArray().Select(v => v.GetSingle())];
        float[] expected = [.. entry.GetProperty("results").EnumerateArray().Select(v => v.GetSingle())];

        var loaded = ModelFile.Load(Fixture(entry.GetProperty("model").GetString()!));
        var config = loaded.Model.Config;
        Assert.Equal((cell, head), (config.Cell, config.Head));
        Assert.Equal("2", loaded.Metadata[ModelFile.FormatVersionKey]);

        var results = new float[expected.Length];
        using (var predictor = new LstmPredictor(loaded.Model, threads))
        {
            predictor.Predict(inputs, batch, lengths, results);
        }

        double worst = 0;
        for (int i = 0; i < results.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(results[i] - expected[i]));
        }

        Assert.True(worst <= Tolerance, $"max |EdgeLstm - PyTorch| = {worst:G3}");
        if (config.HeadReadsEveryStep)
        {
            int k = config.Classes;
            for (int b = 0; b < batch; b++)
            {
                var padding = results.AsSpan(((b * steps) + lengths[b]) * k, (steps - lengths[b]) * k).ToArray();
                Assert.All(padding, v => Assert.Equal(0f, v));
                Assert.All(expected.AsSpan(((b * steps) + lengths[b]) * k, (steps - lengths[b]) * k).ToArray(), v => Assert.Equal(0f, v));
            }
        }
    }

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
}
