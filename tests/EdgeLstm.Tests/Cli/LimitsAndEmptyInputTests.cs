using EdgeLstm.Cli;
using EdgeLstm.Engine;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Cli;

/// <summary>Sizes past the library's limits, empty paths and empty data sets: one line and an exit code, never a crash.</summary>
public class LimitsAndEmptyInputTests
{
    [Theory]
    [InlineData("--hidden 16384 --layers 2", 2, "error: --hidden must be from 1 to 8192; got 16384.")]
    [InlineData("--hidden 8192 --layers 64", 2, "error: --hidden 8192 --layers 64: 64 layers × 8192 would have 34,096,496,650 parameters; the most is 268,435,456")]
    [InlineData("--hidden 8192 --layers 2", 2, "error: --hidden 8192 --layers 2: 2 layers × 8192 would have 806,436,874 parameters")]
    [InlineData("--batch-size 65537", 2, "error: --batch-size must be from 1 to 65536; got 65537.")]
    [InlineData("--batch-size 65536 --hidden 512", 2, "error: --batch-size 65536 with 28 steps × 512 hidden: one layer's gates would be 3,758,096,384 floats, more than one buffer can hold (2,147,483,647); use a smaller --batch-size.")]
    [InlineData("--keep-prob 0.001", 2, "error: --keep-prob must be at least 0.01 and at most 1; got 0.001.")]
    public void Sizes_past_the_limits_are_refused_before_anything_is_allocated(string options, int code, string message)
    {
        using var cli = new CliHarness(train: 4, test: 2);
        var result = cli.Run([.. "train --iterations 1 --data".Split(' '), cli.DataDirectory, .. options.Split(' ')]);
        CliAssert.RefusedBeforeTraining(result, message, code);
    }

    [Fact]
    public void A_batch_whose_buffers_exceed_the_memory_is_refused_before_allocating()
    {
        var settings = new RecipeSettings { BatchSize = 4096 };
        var e = Assert.Throws<CliException>(() => TrainingRules.CheckMemory(settings, 1L << 30));
        Assert.Equal("training 2 layers × 256 on batches of 4096 needs about 2.7 GiB of memory; this process may use 1 GiB. Use a smaller --batch-size.", e.Message);
        TrainingRules.CheckMemory(settings with { BatchSize = 64 }, 1L << 30);
    }

    /// <summary>
    /// The memory check counts what training really allocates, for either cell: exactly the floats of the activation
    /// plan a trainer makes, plus the weights, their gradients, Adam's moments and the packed copy (a formula of its
    /// own once counted 4 gates for a GRU and left out the input's buffers; now the plan's own walk counts).
    /// </summary>
    [Theory]
    [InlineData(CellKind.Lstm, 256, 2, 64)]
    [InlineData(CellKind.Gru, 256, 2, 64)]
    [InlineData(CellKind.Gru, 37, 3, 5)]
    [InlineData(CellKind.Lstm, 37, 1, 5)]
    public void The_memory_estimate_matches_the_activation_plan(CellKind cell, int hidden, int layers, int batch)
    {
        var config = new LstmConfig(28, hidden, layers, 10, 28) { Cell = cell };
        var settings = new RecipeSettings { Model = config, BatchSize = batch };
        long actual = new ActivationPlan(NetworkDescription.Of(config), EngineMode.Train, batch, config.Steps).Floats * sizeof(float)
            + (5L * sizeof(float) * RecipeSettings.ParameterCount(config));
        long estimate = TrainingRules.TrainingBytes(settings);
        Assert.Equal(actual, estimate);
    }

    /// <summary>
    /// The same estimate against what a trainer really allocates, measured rather than counted: every buffer it makes is
    /// a managed array (pinned or not) allocated on the thread that makes it, here the test's own thread (one thread, no
    /// pool). From creating the trainer to the end of its first iteration it allocates everything the estimate counts
    /// except the model's own weights (made before): within 1 % below and 1 MB above (the objects that hold the buffers).
    /// </summary>
    [Theory]
    [InlineData(CellKind.Lstm, 256, 2, 64)]
    [InlineData(CellKind.Gru, 96, 3, 16)]
    public void The_memory_estimate_matches_what_training_allocates(CellKind cell, int hidden, int layers, int batch)
    {
        var config = new LstmConfig(28, hidden, layers, 10, 28) { Cell = cell };
        var model = LstmModel.Create(config, 5);
        var x = new float[batch * config.Steps * config.InputSize];
        var labels = new int[batch];
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var trainer = new LstmTrainer(model, new TrainerOptions { Threads = 1, Seed = 6 }))
        {
            trainer.TrainBatch(x, labels);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long expected = LstmTrainer.MemoryBytes(config, batch, config.Steps) - (sizeof(float) * (long)model.Parameters.Length);
        Assert.InRange(allocated, expected - (expected / 100), expected + (1L << 20));
    }

    [Theory]
    [InlineData("train --out", "error: --out needs a path; got an empty one.")]
    [InlineData("train --data", "error: --data needs a path; got an empty one.")]
    [InlineData("train --checkpoint", "error: --checkpoint needs a path; got an empty one.")]
    [InlineData("train --resume", "error: --resume needs a path; got an empty one.")]
    [InlineData("train --init", "error: --init needs a path; got an empty one.")]
    [InlineData("inspect m.safetensors --svg", "error: --svg needs a path; got an empty one.")]
    [InlineData("evaluate m.safetensors --data", "error: --data needs a path; got an empty one.")]
    public void An_empty_path_is_a_usage_error_not_the_default(string commandLine, string message)
    {
        using var cli = new CliHarness(train: 1, test: 1);
        cli.Environment["EDGELSTM_DATA"] = cli.DataDirectory;
        CliAssert.Error(cli.Run([.. commandLine.Split(' '), string.Empty]), 2, message);
    }

    [Fact]
    public void The_model_and_the_checkpoint_cannot_be_the_same_file()
    {
        using var cli = new CliHarness(train: 4, test: 2);
        string model = cli.File("m.safetensors");
        CliAssert.Error(cli.TrainSmall(model, "--checkpoint", model), 2, "error: --out and --checkpoint name the same file");
    }

    [Fact]
    public void Resuming_on_a_training_set_of_another_size_is_one_clear_line()
    {
        using var cli = new CliHarness(train: 120, test: 4);
        string checkpoint = cli.File("c.safetensors");
        Assert.Equal(0, cli.TrainSmall(cli.File("m.safetensors"), "--checkpoint-every", "6", "--checkpoint", checkpoint).ExitCode);

        string other = cli.File("other");
        IdxBuilder.WriteDataset(other, 100, 4);
        var result = cli.Run("train", "--data", other, "--resume", checkpoint, "--out", cli.File("r.safetensors"));
        CliAssert.RefusedBeforeTraining(result, $"error: --resume {checkpoint}: the checkpoint was trained on 120 images but {other} has 100");
    }

    [Fact]
    public void An_empty_training_set_is_refused_and_an_empty_test_set_named()
    {
        using var cli = new CliHarness(train: 0, test: 0);
        CliAssert.Error(cli.TrainSmall(cli.File("m.safetensors")), 1, $"error: {cli.DataDirectory}: the training set is empty (0 images)");

        using var withModel = new CliHarness(train: 20, test: 4);
        string model = withModel.File("m.safetensors");
        Assert.Equal(0, withModel.TrainSmall(model).ExitCode);
        string empty = withModel.File("empty");
        IdxBuilder.WriteDataset(empty, 0, 0);
        CliAssert.Error(withModel.Run("evaluate", model, "--data", empty), 1, $"error: {empty}: the test set is empty (0 images)");
        CliAssert.Error(withModel.Run("predict", model, "--index", "0", "--data", empty), 1, $"error: --index 0: the test set in {empty} is empty.");
        CliAssert.Error(withModel.Run("inspect", model, "--index", "0", "--data", empty), 1, $"error: --index 0: the training set in {empty} is empty.");

        // Training on a set whose test part is empty still trains and saves, and says what it could not measure.
        string noTest = withModel.File("no-test");
        IdxBuilder.WriteDataset(noTest, 20, 0);
        var train = withModel.Run("train", "--data", noTest, "--iterations", "2", "--hidden", "4", "--batch-size", "4", "--threads", "1", "--out", withModel.File("n.safetensors"));
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("test accur not measured: the test set is empty", train.Out, StringComparison.Ordinal);
    }
}
