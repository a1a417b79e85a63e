using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Training;
using Xunit.Abstractions;

namespace EdgeLstm.Tests;

/// <summary>
/// EdgeLstm against PyTorch's <c>nn.LSTM</c> and <c>nn.GRU</c>: forward values, gradients of the recipe loss
/// (parameters and input) and two Adam steps, on the small models of <c>Fixtures/lstm_golden.json</c> and
/// <c>Fixtures/gru_golden.json</c> (written by <c>tools/golden/make_lstm_golden.py [--cell gru]</c>, which computes in
/// float64 from float32 inputs and parameters).
/// </summary>
public sealed class PyTorchGoldenTests
{
    // EdgeLstm computes in float32, the fixture in float64 from the same float32 inputs and parameters, so they differ
    // by float32 rounding: 6e-8 relative per operation, grown by dot products of up to 28 terms, the sigmoid/tanh
    // approximations, four steps of recurrence, two layers and (for the Adam checks) a second step taken from slightly
    // different parameters. Such errors are relative to the magnitudes of the terms that were summed, not to the
    // result, so an element that is small because larger terms cancelled (some gradients here are 1e-6 in a tensor
    // whose largest element is 1e-3) can have a large relative error. Hence two terms:
    //   |EdgeLstm − PyTorch| ≤ 1e-4·|PyTorch| + 1e-5·max|PyTorch tensor|.
    // The absolute term follows each tensor's scale: gradients are 1e-3 to 1e-2 (the recipe loss divides by B·C), so a
    // fixed 1e-5 would hide a wrong gradient, while forward values and parameters are 0.1 to 1. Observed errors use a
    // few percent of this at most (the test output lists them); a real mistake (a wrong gate, a missing term, a
    // misplaced index) shows up as errors the size of the values themselves.
    private const double RelativeTolerance = 1e-4;
    private const double ScaleTolerance = 1e-5;

    // An Adam step (after − before, about lr = 0.01 per parameter) is checked with 1e-3 of the largest step instead:
    // Adam divides each gradient element by its own running RMS, so a gradient element that is tiny because larger
    // terms cancelled (its float32 relative error reaches 3e-4 here) moves its parameter by up to lr·3e-4 off; and the
    // float32 rounding of a stored parameter near 0.6 alone is 3e-8, already 3e-6 of a step.
    private const double StepScaleTolerance = 1e-3;

    private static readonly Dictionary<string, Lazy<GoldenFixture>> Fixtures = new(StringComparer.Ordinal)
    {
        ["lstm"] = new(() => GoldenFixture.Load("lstm_golden.json")),
        ["gru"] = new(() => GoldenFixture.Load("gru_golden.json")),
    };

    private readonly ITestOutputHelper _output;

    public PyTorchGoldenTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("gru", 2)]
    public void Forward_matches_pytorch(string cell, int threads)
    {
        var golden = Fixtures[cell].Value;
        var model = golden.CreateModel();
        var config = model.Config;
        int batch = golden.Labels.Length, steps = golden.Steps;
        int bh = batch * config.HiddenSize;
        var outputs = new float[steps * bh];
        var finalC = new float[config.Layers * bh];
        var finalH = new float[config.Layers * bh];
        var probabilities = new float[batch * config.Classes];
        var logits = new float[batch * config.Classes];
        using (var predictor = new LstmPredictor(model, threads))
        {
            predictor.Run(golden.Input, batch, outputs, finalC, finalH, probabilities);
            predictor.PredictLogits(golden.Input, batch, logits);
        }

        var errors = new ErrorLog();
        golden.AssertClose("outputs", outputs, errors);
        golden.AssertClose("h_n", finalH, errors);
        golden.AssertCellStateClose(finalC, errors);
        golden.AssertClose("logits", logits, errors);
        golden.AssertClose("probabilities", probabilities, errors);
        _output.WriteLine(errors.ToString());
    }

    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("gru", 2)]
    public void Gradients_of_the_recipe_loss_match_pytorch(string cell, int threads)
    {
        var golden = Fixtures[cell].Value;
        var model = golden.CreateModel();
        using var trainer = new LstmTrainer(model, Options(threads, LossReduction.MeanOverBatchAndClasses));
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(golden.Input, golden.Labels, training: false);

        var errors = new ErrorLog();
        golden.AssertClose("loss", [loss], errors);
        golden.AssertClose("probabilities", trainer.LastProbabilities, errors);
        foreach (var tensor in model.Tensors)
        {
            golden.AssertClose("grad." + tensor.Name, trainer.Gradients.Slice(tensor.Offset, tensor.Length), errors);
        }

        golden.AssertClose("grad.x", trainer.InputGradient, errors);
        _output.WriteLine(errors.ToString());
    }

    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("gru", 2)]
    public void Mean_over_batch_loss_matches_pytorch_cross_entropy(string cell, int threads)
    {
        var golden = Fixtures[cell].Value;
        var model = golden.CreateModel();
        using var trainer = new LstmTrainer(model, Options(threads, LossReduction.MeanOverBatch));
        float loss = trainer.ComputeGradients(golden.Input, golden.Labels, training: false);

        var errors = new ErrorLog();
        golden.AssertClose("loss_mean_over_batch", [loss], errors);

        // This loss is exactly Classes times the recipe's, so its gradients are Classes times the fixture's.
        double classes = model.Config.Classes;
        foreach (var tensor in model.Tensors)
        {
            double[] scaled = [.. trainer.Gradients.Slice(tensor.Offset, tensor.Length).ToArray().Select(g => g / classes)];
            var (shape, expected) = golden.Get("grad." + tensor.Name);
            AssertClose($"MeanOverBatch gradient / {classes} vs grad.{tensor.Name}", shape, expected, scaled, errors);
        }

        _output.WriteLine(errors.ToString());
    }

    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("gru", 2)]
    public void Two_adam_steps_match_pytorch(string cell, int threads)
    {
        var golden = Fixtures[cell].Value;
        var model = golden.CreateModel();
        using var trainer = new LstmTrainer(model, Options(threads, LossReduction.MeanOverBatchAndClasses));

        var errors = new ErrorLog();
        var before = golden.CreateModel();
        float loss1 = trainer.TrainBatch(golden.Input, golden.Labels);
        golden.AssertClose("loss", [loss1], errors);
        AssertStep(golden, before, model, "", "adam1.", errors);

        before = model.Clone();
        float loss2 = trainer.TrainBatch(golden.Input, golden.Labels);
        golden.AssertClose("adam1.loss", [loss2], errors);
        AssertStep(golden, before, model, "adam1.", "adam2.", errors);
        _output.WriteLine(errors.ToString());
    }

    /// <summary>
    /// The fixture's batch of 3 is too small for the engine to split its rows between two threads (it needs 4 rows per
    /// thread), so the threads share only the matrix columns. Three copies of the batch (9 rows) take the row-split
    /// path; each copy must give the fixture's values, and as the recipe loss is a mean, the loss, the parameter
    /// gradients and the Adam steps are the fixture's too, while each copy of x gets a third of grad.x.
    /// </summary>
    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("gru", 2)]
    public void Three_copies_of_the_batch_match_pytorch(string cell, int threads)
    {
        const int Copies = 3;
        var golden = Fixtures[cell].Value;
        var model = golden.CreateModel();
        var config = model.Config;
        int batch = golden.Labels.Length, steps = golden.Steps;
        int tiled = Copies * batch;
        float[] input = [.. Enumerable.Repeat(golden.Input, Copies).SelectMany(x => x)];
        int[] labels = [.. Enumerable.Repeat(golden.Labels, Copies).SelectMany(y => y)];
        var outputs = new float[steps * tiled * config.HiddenSize];
        var finalC = new float[config.Layers * tiled * config.HiddenSize];
        var finalH = new float[config.Layers * tiled * config.HiddenSize];
        var probabilities = new float[tiled * config.Classes];
        using (var predictor = new LstmPredictor(model, threads))
        {
            predictor.Run(input, tiled, outputs, finalC, finalH, probabilities);
        }

        var errors = new ErrorLog();
        using var trainer = new LstmTrainer(model, Options(threads, LossReduction.MeanOverBatchAndClasses));
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(input, labels, training: false);
        for (int k = 0; k < Copies; k++)
        {
            string copy = $"copy {k} of ";
            golden.AssertClose("outputs", CopyOf(outputs, steps, Copies, batch * config.HiddenSize, k), errors, copy);
            golden.AssertClose("h_n", CopyOf(finalH, config.Layers, Copies, batch * config.HiddenSize, k), errors, copy);
            golden.AssertCellStateClose(CopyOf(finalC, config.Layers, Copies, batch * config.HiddenSize, k), errors, copy);
            golden.AssertClose("probabilities", CopyOf(probabilities, 1, Copies, batch * config.Classes, k), errors, copy);
            float[] inputGradient = CopyOf(trainer.InputGradient, 1, Copies, batch * steps * config.InputSize, k);
            golden.AssertClose("grad.x", [.. inputGradient.Select(g => g * Copies)], errors, $"{Copies} × {copy}");
        }

        golden.AssertClose("loss", [loss], errors);
        foreach (var tensor in model.Tensors)
        {
            golden.AssertClose("grad." + tensor.Name, trainer.Gradients.Slice(tensor.Offset, tensor.Length), errors);
        }

        trainer.TrainBatch(input, labels);
        trainer.TrainBatch(input, labels);
        foreach (var tensor in model.Tensors)
        {
            golden.AssertClose("adam2." + tensor.Name, model.TensorData(tensor), errors);
        }

        _output.WriteLine(errors.ToString());
    }

    /// <summary>Copy <paramref name="k"/> out of [outer × copies × block]: its [outer × block].</summary>
    private static float[] CopyOf(ReadOnlySpan<float> tiled, int outer, int copies, int block, int k)
    {
        var result = new float[outer * block];
        for (int o = 0; o < outer; o++)
        {
            tiled.Slice(((o * copies) + k) * block, block).CopyTo(result.AsSpan(o * block, block));
        }

        return result;
    }

    /// <summary>
    /// Checks the parameters after an Adam step against the fixture's, and also the step itself (after − before against
    /// the fixture's difference): a step is about 0.01 while the parameters are up to 0.6, so the tolerance on the
    /// parameters alone would let a slightly wrong step size or ε through.
    /// </summary>
    private static void AssertStep(GoldenFixture golden, LstmModel before, LstmModel after, string fromPrefix, string toPrefix, ErrorLog errors)
    {
        foreach (var tensor in after.Tensors)
        {
            var values = after.TensorData(tensor);
            golden.AssertClose(toPrefix + tensor.Name, values, errors);

            var (shape, to) = golden.Get(toPrefix + tensor.Name);
            var (_, from) = golden.Get(fromPrefix + tensor.Name);
            var old = before.TensorData(tensor);
            var expectedStep = new double[to.Length];
            var actualStep = new double[to.Length];
            for (int i = 0; i < to.Length; i++)
            {
                expectedStep[i] = to[i] - from[i];
                actualStep[i] = (double)values[i] - old[i];
            }

            string stepName = $"step {(fromPrefix.Length == 0 ? "initial" : fromPrefix.TrimEnd('.'))} -> {toPrefix.TrimEnd('.')} of {tensor.Name}";
            AssertClose(stepName, shape, expectedStep, actualStep, errors, StepScaleTolerance);
        }
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ RelativeTolerance·|expected| + <paramref name="scaleTolerance"/>·max|expected| for
    /// every element, naming the tensor and the (multi-dimensional) index on failure.
    /// </summary>
    private static void AssertClose(string name, int[] shape, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, ErrorLog errors, double scaleTolerance = ScaleTolerance)
    {
        Assert.True(actual.Length == expected.Length, $"{name}: EdgeLstm gave {actual.Length} values, the fixture has {expected.Length}.");
        double absolute = 0;
        foreach (double b in expected)
        {
            absolute = Math.Max(absolute, scaleTolerance * Math.Abs(b));
        }

        double maxError = 0, maxUsed = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double a = actual[i], b = expected[i];
            double error = Math.Abs(a - b);
            double tolerance = absolute + (RelativeTolerance * Math.Abs(b));
            if (!(error <= tolerance))
            {
                Assert.Fail(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name}{IndexText(shape, i)} (flat index {i}): EdgeLstm {a:R}, PyTorch {b:R}, |difference| {error:E3} > tolerance {tolerance:E3}."));
            }

            maxError = Math.Max(maxError, error);
            maxUsed = Math.Max(maxUsed, error / tolerance);
        }

        errors.Add(name, maxError, maxUsed);
    }

    private static string IndexText(int[] shape, int flat)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }

        return "[" + string.Join(", ", index) + "]";
    }

    private static TrainerOptions Options(int threads, LossReduction loss) => new()
    {
        KeepProbability = 1f,
        LearningRate = 0.01f,
        Threads = threads,
        Loss = loss,
    };

    /// <summary>The largest error seen per tensor, and the largest share of its tolerance an element used, for the test output.</summary>
    private sealed class ErrorLog
    {
        private readonly StringBuilder _text = new();

        public void Add(string name, double maxError, double maxFractionOfTolerance)
            => _text.AppendLine(CultureInfo.InvariantCulture, $"{name}: max |EdgeLstm - PyTorch| = {maxError:E2}, at most {maxFractionOfTolerance:P2} of the tolerance");

        public override string ToString() => _text.ToString();
    }

    /// <summary>The parsed fixture: config, labels and named tensors (shape and row-major data).</summary>
    private sealed class GoldenFixture
    {
        private readonly Dictionary<string, (int[] Shape, double[] Data)> _tensors;

        private GoldenFixture(LstmConfig config, int steps, int[] labels, Dictionary<string, (int[] Shape, double[] Data)> tensors)
        {
            Config = config;
            Steps = steps;
            Labels = labels;
            _tensors = tensors;
            Input = Float32("x");
        }

        public LstmConfig Config { get; }

        public int Steps { get; }

        public int[] Labels { get; }

        /// <summary>x [B×T×I], batch-major as the engine takes it.</summary>
        public float[] Input { get; }

        public static GoldenFixture Load(string file)
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", file);
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var c = root.GetProperty("config");
            int steps = c.GetProperty("steps").GetInt32();
            var config = new LstmConfig(
                c.GetProperty("input_size").GetInt32(),
                c.GetProperty("hidden_size").GetInt32(),
                c.GetProperty("layers").GetInt32(),
                c.GetProperty("classes").GetInt32(),
                steps)
            {
                Cell = c.GetProperty("cell").GetString() == "gru" ? CellKind.Gru : CellKind.Lstm,
            };
            int[] labels = [.. root.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32())];
            Assert.Equal(c.GetProperty("batch").GetInt32(), labels.Length);
            var tensors = new Dictionary<string, (int[] Shape, double[] Data)>(StringComparer.Ordinal);
            foreach (var t in root.GetProperty("tensors").EnumerateObject())
            {
                int[] shape = [.. t.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
                double[] data = [.. t.Value.GetProperty("data").EnumerateArray().Select(e => e.GetDouble())];
                Assert.True(shape.Aggregate(1, (n, d) => n * d) == data.Length, $"Fixture tensor '{t.Name}' has shape [{string.Join(", ", shape)}] but {data.Length} values.");
                tensors.Add(t.Name, (shape, data));
            }

            return new GoldenFixture(config, steps, labels, tensors);
        }

        /// <summary>A model holding the fixture's parameters, after checking that every name and shape agrees.</summary>
        public LstmModel CreateModel()
        {
            var model = LstmModel.CreateEmpty(Config);
            foreach (var tensor in model.Tensors)
            {
                var (shape, _) = Get(tensor.Name);
                Assert.True(shape.SequenceEqual(tensor.Shape), $"Tensor '{tensor.Name}': the fixture's shape is [{string.Join(", ", shape)}], the model's {tensor.ShapeText}.");
                Float32(tensor.Name).CopyTo(model.TensorData(tensor));
            }

            model.MarkParametersChanged();
            return model;
        }

        /// <summary>Compares EdgeLstm's <paramref name="actual"/> with the fixture tensor <paramref name="name"/>.</summary>
        public void AssertClose(string name, ReadOnlySpan<float> actual, ErrorLog errors, string prefix = "")
        {
            var (shape, expected) = Get(name);
            var values = new double[actual.Length];
            for (int i = 0; i < actual.Length; i++)
            {
                values[i] = actual[i];
            }

            PyTorchGoldenTests.AssertClose(prefix + name, shape, expected, values, errors);
        }

        /// <summary>c_n against the fixture's; a GRU has none, and EdgeLstm must report zeros for it.</summary>
        public void AssertCellStateClose(ReadOnlySpan<float> actual, ErrorLog errors, string prefix = "")
        {
            if (Config.Cell == CellKind.Lstm)
            {
                AssertClose("c_n", actual, errors, prefix);
            }
            else
            {
                Assert.False(_tensors.ContainsKey("c_n"), "A GRU fixture has no c_n.");
                Assert.All(actual.ToArray(), v => Assert.Equal(0f, v));
            }
        }

        public (int[] Shape, double[] Data) Get(string name)
            => _tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"The fixture has no tensor '{name}'.");

        /// <summary>A fixture tensor that must hold float32 values exactly (inputs and parameters).</summary>
        private float[] Float32(string name)
        {
            var (_, data) = Get(name);
            var values = new float[data.Length];
            for (int i = 0; i < data.Length; i++)
            {
                values[i] = (float)data[i];
                Assert.True(values[i] == data[i], $"Fixture tensor '{name}'[{i}] = {data[i]:R} is not a float32 value.");
            }

            return values;
        }
    }
}
