using System.Globalization;
using System.Text.Json;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Tests.TestSupport;
using Xunit.Abstractions;

namespace EdgeLstm.Tests.PyTorch;

/// <summary>
/// A model trained and saved by PyTorch (<c>tools/pytorch/make_fixture.py</c> with <c>edgelstm_torch.save</c>, fixture
/// <c>Fixtures/pytorch_classifier.*</c>): EdgeLstm loads the file and reproduces PyTorch's probabilities, so a model
/// trained at scale in PyTorch runs unchanged with <c>edgelstm predict</c>. No Python is needed to run these.
/// </summary>
public sealed class PyTorchModelFileTests
{
    // Both sides compute in float32 from the same float32 weights and inputs; they differ by the order of summation and
    // EdgeLstm's sigmoid/tanh approximations over 28 steps and 2 layers: observed about 1e-7 (the test output says).
    // A wrong gate, bias or weight layout moves probabilities by 1e-2 or more.
    private const double Tolerance = 1e-5;

    private static readonly Lazy<Fixture> Data = new(Fixture.Load);

    private readonly ITestOutputHelper _output;

    public PyTorchModelFileTests(ITestOutputHelper output)
    {
        _output = output;
        SimdSupport.AllowEmulatedWidths = true;
    }

    public static TheoryData<SimdWidth, int> Engines() => new()
    {
        { SimdWidth.Auto, 1 },
        { SimdWidth.Auto, 2 },
        { SimdWidth.Vector128, 1 },
    };

    [Theory]
    [MemberData(nameof(Engines))]
    public void A_pytorch_trained_model_gives_pytorchs_probabilities(SimdWidth width, int threads)
    {
        var fixture = Data.Value;
        var loaded = ModelFile.Load(fixture.ModelPath);
        var probabilities = new float[fixture.Count * loaded.Model.Config.Classes];
        using (var predictor = new LstmPredictor(loaded.Model, threads, width))
        {
            predictor.Predict(fixture.Inputs, fixture.Count, probabilities);
        }

        Assert.Equal(fixture.Probabilities.Length, probabilities.Length);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double error = Math.Abs(probabilities[i] - fixture.Probabilities[i]);
            if (error > worst || worstAt < 0)
            {
                (worst, worstAt) = (error, i);
            }
        }

        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{width}, {threads} threads: max |EdgeLstm − PyTorch| = {worst:G3} (image {worstAt / 10}, class {worstAt % 10}) over {probabilities.Length} probabilities"));
        Assert.True(worst <= Tolerance, string.Create(CultureInfo.InvariantCulture, $"probability {worstAt}: EdgeLstm {probabilities[worstAt]}, PyTorch {fixture.Probabilities[worstAt]} (tolerance {Tolerance})"));
    }

    [Fact]
    public void The_file_records_the_architecture_keep_probability_and_format_version()
    {
        var loaded = ModelFile.Load(Data.Value.ModelPath);
        Assert.Equal(new LstmConfig(28, 16, 2, 10, 28), loaded.Model.Config);
        Assert.Equal("model", loaded.Kind);
        Assert.Equal(ModelFile.FormatName, loaded.Metadata[ModelFile.FormatKey]);
        Assert.Equal(ModelFile.VersionFor(loaded.Model.Config).ToString(CultureInfo.InvariantCulture), loaded.Metadata[ModelFile.FormatVersionKey]);
        Assert.Equal("0.9", loaded.Metadata["train.keep_prob"]);
    }

    [Fact]
    public void EdgeLstm_classifies_as_many_bundled_test_images_right_as_pytorch()
    {
        var fixture = Data.Value;
        var loaded = ModelFile.Load(fixture.ModelPath);
        var test = MnistDirectory.Load(RepositoryPaths.BundledMnist, DatasetSplit.Test, ChecksumPolicy.Require);
        int n = fixture.AccuracyCount, classes = loaded.Model.Config.Classes;
        var probabilities = new float[n * classes];
        using (var predictor = new LstmPredictor(loaded.Model))
        {
            predictor.Predict(test.Images.ToFloats(0, n), n, probabilities);
        }

        int correct = Enumerable.Range(0, n).Count(i => Evaluator.ArgMax(probabilities.AsSpan(i * classes, classes)) == test.Labels[i]);
        _output.WriteLine($"EdgeLstm {correct}, PyTorch {fixture.AccuracyCorrect} of the first {n} test images right");
        Assert.Equal(fixture.AccuracyCorrect, correct);
    }

    [Fact]
    public void The_pytorch_fixture_inputs_are_the_bundled_images_as_edgelstm_scales_them()
    {
        // Guards the comparison above and the Python module's pixel scaling (byte × float32(1/255), as IdxReader).
        var fixture = Data.Value;
        var test = MnistDirectory.Load(RepositoryPaths.BundledMnist, DatasetSplit.Test, ChecksumPolicy.Require);
        Assert.Equal(test.Images.ToFloats(0, fixture.Inputs.Length / test.Images.ImageLength), fixture.Inputs);
        Assert.Equal(test.Labels.AsSpan(0, fixture.Count).ToArray(), fixture.Labels);
    }

    private sealed record Fixture(string ModelPath, int Count, int[] Labels, float[] Inputs, float[] Probabilities, int AccuracyCount, int AccuracyCorrect)
    {
        public static Fixture Load()
        {
            string folder = Path.Combine(AppContext.BaseDirectory, "Fixtures");
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "pytorch_classifier.json")));
            var root = json.RootElement;
            static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();
            return new Fixture(
                Path.Combine(folder, root.GetProperty("model").GetString()!),
                root.GetProperty("count").GetInt32(),
                root.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
                Floats(root.GetProperty("inputs")),
                Floats(root.GetProperty("probabilities")),
                root.GetProperty("accuracy_count").GetInt32(),
                root.GetProperty("accuracy_correct").GetInt32());
        }
    }
}
