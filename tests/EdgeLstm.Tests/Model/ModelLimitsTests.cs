using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Model;

/// <summary>The limits of <see cref="ModelLimits"/>: the largest accepted value of each, and the first refused.</summary>
public class ModelLimitsTests
{
    public static TheoryData<LstmConfig, string> Refused => new()
    {
        { new(ModelLimits.MaxInputSize + 1, 1, 1, 1, 1), "InputSize must be between 1 and 65536; it is 65537." },
        { new(1, ModelLimits.MaxHiddenSize + 1, 1, 1, 1), "HiddenSize must be between 1 and 8192; it is 8193." },
        { new(1, 1, ModelLimits.MaxLayers + 1, 1, 1), "Layers must be between 1 and 64; it is 65." },
        { new(1, 1, 1, ModelLimits.MaxClasses + 1, 1), "Classes must be between 1 and 4096; it is 4097." },
        { new(1, 1, 1, 1, ModelLimits.MaxSteps + 1), "Steps must be between 1 and 65536; it is 65537." },
        { new(0, 1, 1, 1, 1), "InputSize must be between 1 and 65536; it is 0." },

        // What the CLI's own ranges let through before: OverflowException inside LstmModel.
        { new(28, 16384, 2, 10, 28), "HiddenSize must be between 1 and 8192; it is 16384." },
        { new(28, 8192, 64, 10, 28), "A model of 64 layer(s) of 8192 hidden units (28 inputs, 10 classes) has 34096496650 parameters; at most 268435456 (1 GiB of weights) are accepted." },
        { new(1, 1, 1, 65536, 1), "Classes must be between 1 and 4096; it is 65536." },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Sizes_past_a_limit_are_a_clear_error_naming_the_field_not_an_overflow(LstmConfig config, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => LstmModel.CreateEmpty(config));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(config.Validate);
    }

    [Fact]
    public void The_largest_value_of_each_size_is_accepted()
    {
        // Each alone at its limit (the others at 1), checked without allocating: and layers, classes and steps allocated.
        ModelLimits.CheckConfig(new(ModelLimits.MaxInputSize, 1, 1, 1, 1));
        ModelLimits.CheckConfig(new(1, 1, ModelLimits.MaxLayers, ModelLimits.MaxClasses, ModelLimits.MaxSteps));
        Assert.Equal(ModelLimits.MaxLayers, LstmModel.CreateEmpty(new(1, 1, ModelLimits.MaxLayers, ModelLimits.MaxClasses, ModelLimits.MaxSteps)).LayerOffsets.Length);

        // The largest one-layer model on 28 inputs and 10 classes is 8175 units: 2^28 parameters is what binds first.
        var largest = new LstmConfig(28, 8175, 1, 10, 28);
        Assert.True(ModelLimits.ParameterCount(largest) <= ModelLimits.MaxParameters);
        ModelLimits.CheckConfig(largest);
        Assert.True(ModelLimits.ParameterCount(largest with { HiddenSize = 8176 }) > ModelLimits.MaxParameters);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelLimits.CheckConfig(largest with { HiddenSize = 8176 }));
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void The_parameter_count_is_what_a_model_allocates(CellKind cell)
    {
        var config = new LstmConfig(5, 6, 3, 4, 7) { Cell = cell };
        Assert.Equal(LstmModel.CreateEmpty(config).Parameters.Length, ModelLimits.ParameterCount(config));
        Assert.Equal(ModelLimits.ParameterCount(config), RecipeSettings.ParameterCount(config));

        // By hand: G gate blocks of 6 per layer (4 for an LSTM, 3 for a GRU), layer 0 on 5 inputs, then 4 classes.
        int g = cell == CellKind.Gru ? 3 : 4;
        long expected = (g * 6 * (5 + 6 + 2)) + (2 * g * 6 * (6 + 6 + 2)) + (4 * 6) + 4;
        Assert.Equal(expected, ModelLimits.ParameterCount(config));
    }

    [Fact]
    public void A_gru_is_held_to_its_own_three_gate_blocks_not_an_lstm_s_four()
    {
        // One layer of 8192 on 28 inputs and 10 classes: 202 M parameters as a GRU (accepted), 269.5 M as an LSTM
        // (past 2^28, refused). Counted with four gate blocks, the GRU was refused too.
        var gru = new LstmConfig(28, 8192, 1, 10, 28) { Cell = CellKind.Gru };
        Assert.Equal((3L * 8192 * (28 + 8192 + 2)) + (10L * 8192) + 10, ModelLimits.ParameterCount(gru));
        ModelLimits.CheckConfig(gru);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelLimits.CheckConfig(gru with { Cell = CellKind.Lstm }));

        // Batch buffers: batch × steps × 3·hidden for a GRU. 2^30 floats at 3·256 = 768 per row: 1398101 rows fit.
        var config = new LstmConfig(1, 256, 1, 10, 28) { Cell = CellKind.Gru };
        long rows = ModelLimits.MaxActivationFloats / (3 * 256);
        ModelLimits.CheckBatch(config, rows / 1024, 1024);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelLimits.CheckBatch(config with { Cell = CellKind.Lstm }, rows / 1024, 1024));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ModelLimits.CheckBatch(config, (rows / 1024) + 1, 1024));
        Assert.StartsWith("A batch of 1366 sequences × 1024 steps × 768 (3 × 256 hidden or 1 inputs)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_limits_accept_the_largest_and_refuse_the_next()
    {
        var config = new LstmConfig(1, 256, 1, 10, 28);
        ModelLimits.CheckBatch(config, ModelLimits.MaxBatchSize, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelLimits.CheckBatch(config, ModelLimits.MaxBatchSize + 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelLimits.CheckBatch(config, 1, ModelLimits.MaxSteps + 1));

        // batch × steps × 4·hidden at exactly 2^30 is accepted; one step more is not.
        long steps = ModelLimits.MaxActivationFloats / (4 * 256) / 1024;
        ModelLimits.CheckBatch(config, 1024, steps);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ModelLimits.CheckBatch(config, 1024, steps + 1));
        Assert.StartsWith("A batch of 1024 sequences × 1025 steps × 1024 (4 × 256 hidden or 1 inputs) needs buffers of 1074790400 floats; at most 1073741824 per buffer", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 256, 28)]
    [InlineData(1, 256, 1025)]
    [InlineData(65536, 8, 16384)]
    [InlineData(65536, 8, 16385)]
    [InlineData(1, 8192, 65536)]
    public void The_largest_batch_is_the_largest_check_batch_accepts(int inputs, int hidden, int steps)
    {
        var config = new LstmConfig(inputs, hidden, 1, 10, 28);
        int largest = ModelLimits.LargestBatch(config, steps);
        Assert.InRange(largest, 0, ModelLimits.MaxBatchSize);
        if (largest > 0)
        {
            ModelLimits.CheckBatch(config, largest, steps);
        }

        // 0 when not even one sequence fits (16385 steps of 65536 inputs, or 65536 steps of 4·8192 gates, pass 2^30).
        Assert.Equal(steps is 16385 || hidden == 8192, largest == 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelLimits.CheckBatch(config, largest + 1L, steps));
        Assert.Equal(0, ModelLimits.LargestBatch(config, ModelLimits.MaxSteps + 1));
    }

    [Fact]
    public void The_trainer_refuses_a_batch_past_the_limits_before_touching_a_buffer()
    {
        // The reported case: batch 65536 on a wide model wrote past a buffer whose size had overflowed int32. With
        // 4096 classes (the most accepted) and 28 steps of 4·256, the gates would need 1.9 G floats: refused up front.
        var model = LstmModel.Create(new LstmConfig(1, 256, 1, ModelLimits.MaxClasses, 28), 1);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = 1 });
        var inputs = new float[65536 * 28];
        var labels = new int[65536];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.TrainBatch(inputs, labels));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.StartsWith("A batch of 65536 sequences × 28 steps", e.Message, StringComparison.Ordinal);

        using var predictor = new LstmPredictor(model, threads: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.Predict(inputs, 65536, new float[65536 * ModelLimits.MaxClasses]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LstmStream(model, ModelLimits.MaxBatchSize + 1));
    }

    [Fact]
    public void Per_class_tables_are_bounded_by_the_class_limit()
    {
        Assert.Equal(ModelLimits.MaxClasses, new EvaluationResult(ModelLimits.MaxClasses).Confusion.GetLength(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationResult(ModelLimits.MaxClasses + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationResult(0));
    }

    [Fact]
    public void A_model_file_past_the_limits_is_a_format_error()
    {
        // 65536 classes of 1 hidden unit: a 65 KB file, which the evaluator's confusion matrix would have made 16 GiB.
        var small = new LstmConfig(1, 1, 1, ModelLimits.MaxClasses, 1);
        byte[] file = ModelFile.ToBytes(LstmModel.Create(small, 1));
        byte[] wide = TestSupport.SafeTensorsBytes.EditHeader(file, h => h["__metadata__"]!["num_classes"] = "65536");
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(wide, "wide"));
        Assert.StartsWith("wide: __metadata__: expected a valid architecture, found: Classes must be between 1 and 4096; it is 65536.", e.Message, StringComparison.Ordinal);
    }
}
