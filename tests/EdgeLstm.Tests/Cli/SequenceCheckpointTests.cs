using System.Globalization;
using System.Text;
using EdgeLstm.IO;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// <c>train --data FILE</c> on a signal, with <c>--checkpoint-every</c> and with <c>--resume</c>: the checkpoint it saves
/// continues to exactly the weights of an uninterrupted run, and a resume on other data, with changed data options or
/// from a damaged or foreign checkpoint is refused with a message naming the file.
/// </summary>
public class SequenceCheckpointTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    // Dropout on, so the dropout generator's state is part of what must be carried over.
    private static readonly string[] DataOptions = ["--target", "y", "--task", "classify"];

    private static readonly string[] Run = [.. DataOptions, "--hidden", "8", "--batch-size", "8", "--keep-prob", "0.8", "--threads", "1"];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>40 sequences of 3 to 6 steps, a class per sequence that the first feature's level gives away.</summary>
    private static string Csv(int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("id,a,b,y\n");
        for (int s = 0; s < 40; s++)
        {
            for (int t = 0; t < 3 + (s % 4); t++)
            {
                text.Append(Invariant($"s{s},{random.NextDouble() + (s % 2):0.###},{random.NextDouble():0.###},{s % 2}\n"));
            }
        }

        return text.ToString();
    }

    private static CliHarness WithData(out string data)
    {
        var cli = new CliHarness(train: 1, test: 1);
        data = cli.File("d.csv");
        File.WriteAllText(data, Csv(3));
        return cli;
    }

    private static float[] Weights(string path) => ModelFile.Load(path).Model.Parameters.ToArray();

    [Theory]
    [InlineData("epochs")]
    [InlineData("recipe")]
    public void A_resume_from_a_periodic_checkpoint_ends_with_the_weights_of_the_uninterrupted_run(string batches)
    {
        using var cli = WithData(out string data);
        string full = cli.File("full.safetensors"), checkpoint = cli.File("c.safetensors"), resumed = cli.File("resumed.safetensors");
        var first = cli.Run(["train", .. Run, "--data", data, "--batches", batches, "--iterations", "24", "--checkpoint-every", "7", "--checkpoint", checkpoint, "--out", full]);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"checkpoint at iteration 21: {checkpoint}", first.Out, StringComparison.Ordinal);

        // Iteration 21 is inside the sixth epoch: the replayed order, the epoch's loss so far and Adam all carry over.
        var second = cli.Run(["train", .. DataOptions, "--threads", "1", "--data", data, "--batches", batches, "--resume", checkpoint, "--out", resumed]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"resumed at iteration 21 (epoch 5) from {checkpoint}", second.Out, StringComparison.Ordinal);
        Assert.Equal(Weights(full), Weights(resumed));
        Assert.Equal(LastEpochLine(first.Out), LastEpochLine(second.Out));
    }

    private static string LastEpochLine(string output) => output.Split('\n').Last(l => l.StartsWith("epoch ", StringComparison.Ordinal));

    [Fact]
    public void Ctrl_c_saves_a_checkpoint_and_the_printed_command_continues_it_exactly()
    {
        using var cli = WithData(out string data);
        string model = cli.File("m.safetensors"), checkpoint = cli.File("m.checkpoint.safetensors");
        using var interrupted = new CancellationTokenSource();
        interrupted.Cancel();
        var run = cli.Run(interrupted.Token, ["train", .. Run, "--data", data, "--iterations", "10", "--out", model]);
        Assert.True(run.ExitCode == 130, run.ToString());
        Assert.Contains($"interrupted at iteration 0/10; checkpoint saved to {checkpoint}", run.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Error);
        Assert.False(File.Exists(model));
        Assert.Empty(Directory.EnumerateFiles(cli.Directory, ".*.tmp"));

        // The line names the data options again (they are not in the checkpoint), and it runs as printed.
        string line = run.Out.Split('\n').Single(l => l.StartsWith("continue with: edgelstm ", StringComparison.Ordinal));
        Assert.Equal($"continue with: edgelstm train --data {data} --target y --task classify --resume {checkpoint} --out {model}", line);
        var resumed = cli.Run(line["continue with: edgelstm ".Length..].Split(' '));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());

        string full = cli.File("full.safetensors");
        Assert.Equal(0, cli.Run(["train", .. Run, "--data", data, "--iterations", "10", "--out", full]).ExitCode);
        Assert.Equal(Weights(full), Weights(model));
    }

    /// <summary>
    /// A signal after the last batch (here as the last epoch's line is written, before the final validation and the save)
    /// is not lost: the finished state is the checkpoint, and the printed command only evaluates it and saves the model,
    /// which is then the uninterrupted run's to the bit.
    /// </summary>
    [Fact]
    public void A_signal_after_the_last_batch_saves_the_finished_state_and_its_resume_only_evaluates_and_saves()
    {
        using var cli = WithData(out string data);
        string model = cli.File("m.safetensors"), checkpoint = cli.File("m.checkpoint.safetensors");
        var run = cli.Run(line => line.StartsWith("epoch ", StringComparison.Ordinal) && line.Contains("iteration 10/10", StringComparison.Ordinal), ["train", .. Run, "--data", data, "--iterations", "10", "--out", model]);
        Assert.True(run.ExitCode == 130, run.ToString());
        Assert.Contains($"interrupted after the last iteration (10), before the model was saved; checkpoint saved to {checkpoint}", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Out.Split('\n'), l => l.StartsWith("validation ", StringComparison.Ordinal));
        Assert.False(File.Exists(model));
        Assert.Equal(10, CheckpointFile.Load(checkpoint).Cursor.Iteration);

        string line = run.Out.Split('\n').Single(l => l.StartsWith("continue with: edgelstm ", StringComparison.Ordinal));
        var resumed = cli.Run(line["continue with: edgelstm ".Length..].Split(' '));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"resumed at iteration 10 (epoch 3) from {checkpoint}", resumed.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(resumed.Out.Split('\n'), l => l.StartsWith("epoch ", StringComparison.Ordinal));

        string full = cli.File("full.safetensors");
        var uninterrupted = cli.Run(["train", .. Run, "--data", data, "--iterations", "10", "--out", full]);
        Assert.Equal(0, uninterrupted.ExitCode);
        Assert.Equal(Weights(full), Weights(model));
        Assert.Equal(FinalReport(uninterrupted.Out), FinalReport(resumed.Out));
    }

    /// <summary>A run that stopped early has its model already (the best epoch's): a signal then saves it at once, without the final report.</summary>
    [Fact]
    public void A_signal_after_an_early_stop_saves_the_best_epochs_model_without_the_final_report()
    {
        using var cli = WithData(out string data);
        string model = cli.File("m.safetensors"), full = cli.File("full.safetensors");
        string[] args = ["train", .. Run, "--data", data, "--iterations", "2000", "--early-stop", "1"];
        var uninterrupted = cli.Run([.. args, "--out", full]);
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.ToString());
        Assert.Contains("early stop: ", uninterrupted.Out, StringComparison.Ordinal);

        var run = cli.Run(line => line.StartsWith("early stop: ", StringComparison.Ordinal), [.. args, "--out", model]);
        Assert.True(run.ExitCode == 130, run.ToString());
        Assert.Contains($"model saved to {model}", run.Out, StringComparison.Ordinal);
        Assert.Contains("interrupted after training had stopped early: the model holds epoch ", run.Out, StringComparison.Ordinal);
        Assert.Equal(Weights(full), Weights(model));
    }

    /// <summary>
    /// Early stopping continues from a checkpoint: it keeps the best weights so far beside the weights of now, so the
    /// resumed run stops at the same epoch and ends with the uninterrupted run's model to the bit.
    /// </summary>
    [Fact]
    public void An_early_stopping_run_resumes_to_the_uninterrupted_runs_best_epoch()
    {
        using var cli = WithData(out string data);
        string model = cli.File("m.safetensors"), checkpoint = cli.File("m.checkpoint.safetensors"), full = cli.File("full.safetensors");
        string[] args = ["train", .. Run, "--data", data, "--iterations", "2000", "--early-stop", "2"];
        var uninterrupted = cli.Run([.. args, "--out", full]);
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.ToString());
        string stopLine = uninterrupted.Out.Split('\n').Single(l => l.StartsWith("early stop: ", StringComparison.Ordinal));

        // Interrupted after epoch 2 (epoch 1 has been the best so far, at least), then continued as printed.
        var run = cli.Run(line => line.StartsWith("epoch   2 ", StringComparison.Ordinal), [.. args, "--out", model]);
        Assert.True(run.ExitCode == 130, run.ToString());
        Assert.NotNull(CheckpointFile.Load(checkpoint).BestParameters);
        string line = run.Out.Split('\n').Single(l => l.StartsWith("continue with: edgelstm ", StringComparison.Ordinal));
        var resumed = cli.Run(line["continue with: edgelstm ".Length..].Split(' '));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains(stopLine, resumed.Out, StringComparison.Ordinal);
        Assert.Equal(Weights(full), Weights(model));
    }

    /// <summary>An early-stopping run's checkpoint from before best weights were kept: refused, saying why, before training.</summary>
    [Fact]
    public void An_early_stopping_checkpoint_without_its_best_weights_is_refused()
    {
        using var cli = WithData(out string data);
        string checkpoint = cli.File("c.safetensors");
        Assert.Equal(0, cli.Run(["train", .. Run, "--data", data, "--iterations", "8", "--early-stop", "5", "--checkpoint-every", "8", "--checkpoint", checkpoint, "--out", cli.File("first.safetensors")]).ExitCode);
        var saved = CheckpointFile.Load(checkpoint);
        Assert.NotNull(saved.BestParameters);
        SaveEdited(saved, saved.Cursor, saved.RunFacts, checkpoint);

        var result = cli.Run("train", "--data", data, "--target", "y", "--task", "classify", "--early-stop", "5", "--resume", checkpoint, "--out", cli.File("m.safetensors"));
        CliAssert.RefusedBeforeTraining(result, $"error: --resume {checkpoint}: the run stops early and has a best epoch (");
        Assert.Contains("but the checkpoint does not keep its weights", result.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// --lr-final with a sequence file: the cosine schedule of the image runs (a final rate equal to --lr is the constant
    /// run to the bit; a lower one trains other weights and is recorded in the model), and a run interrupted half-way
    /// continues on the same schedule to the uninterrupted weights.
    /// </summary>
    [Fact]
    public void The_learning_rate_schedule_runs_and_resumes_on_a_sequence_file()
    {
        using var cli = WithData(out string data);
        string[] args = ["train", .. Run, "--data", data, "--iterations", "16"];
        string constant = cli.File("constant.safetensors"), same = cli.File("same.safetensors"), cosine = cli.File("cosine.safetensors");
        Assert.Equal(0, cli.Run([.. args, "--out", constant]).ExitCode);
        Assert.Equal(0, cli.Run([.. args, "--lr-final", "0.001", "--out", same]).ExitCode);
        Assert.Equal(Weights(constant), Weights(same));

        var decayed = cli.Run([.. args, "--lr-final", "0.0001", "--out", cosine]);
        Assert.True(decayed.ExitCode == 0, decayed.ToString());
        Assert.Contains("train: Adam lr 0.001 → 0.0001 (cosine), batch 8", decayed.Out, StringComparison.Ordinal);
        Assert.NotEqual(Weights(constant), Weights(cosine));
        Assert.Equal("0.0001", ModelFile.Load(cosine).Metadata["train.final_learning_rate"]);

        string model = cli.File("m.safetensors");
        var run = cli.Run(line => line.StartsWith("epoch   2 ", StringComparison.Ordinal), [.. args, "--lr-final", "0.0001", "--out", model]);
        Assert.True(run.ExitCode == 130, run.ToString());
        string line = run.Out.Split('\n').Single(l => l.StartsWith("continue with: edgelstm ", StringComparison.Ordinal));
        var resumed = cli.Run(line["continue with: edgelstm ".Length..].Split(' '));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(Weights(cosine), Weights(model));
    }

    /// <summary>The validation report printed after training, from its heading to the line that saves the model.</summary>
    private static string FinalReport(string output)
    {
        var lines = output.Split('\n');
        int saved = Array.FindIndex(lines, l => l.StartsWith("model saved to ", StringComparison.Ordinal));
        int start = Array.FindLastIndex(lines, saved, l => l.StartsWith("epoch ", StringComparison.Ordinal) || l.StartsWith("resumed at ", StringComparison.Ordinal)) + 1;
        return string.Join('\n', lines[start..saved]);
    }

    [Theory]
    [InlineData("HUP", 129)]
    [InlineData("TERM", 143)]
    [InlineData("INT", 130)]
    public void A_signal_to_the_real_process_saves_a_checkpoint_that_resumes_to_the_uninterrupted_weights(string signal, int code)
    {
        using var cli = WithData(out string data);
        string model = cli.File("m.safetensors"), checkpoint = cli.File("m.checkpoint.safetensors");
        using (var process = new CliProcess(cli.Directory, ["train", .. Run, "--data", data, "--iterations", "100000000", "--out", model]))
        {
            process.WaitForOutput("epoch   2 ", Bound);
            process.Signal(signal);
            Assert.Equal(code, process.WaitForExit(Bound));
            Assert.Contains(process.Output, l => l.StartsWith("interrupted at iteration ", StringComparison.Ordinal) && l.EndsWith($"checkpoint saved to {checkpoint}", StringComparison.Ordinal));
            Assert.Contains(process.Output, l => l.StartsWith("continue with: edgelstm train --data ", StringComparison.Ordinal));
        }

        Assert.False(File.Exists(model));
        long stopped = CheckpointFile.Load(checkpoint).Cursor.Iteration;
        Assert.True(stopped >= 8, stopped.ToString(CultureInfo.InvariantCulture));
        string total = (stopped + 5).ToString(CultureInfo.InvariantCulture);

        var resumed = cli.Run("train", "--data", data, "--target", "y", "--task", "classify", "--threads", "1", "--resume", checkpoint, "--iterations", total, "--out", model);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        string full = cli.File("full.safetensors");
        Assert.Equal(0, cli.Run(["train", .. Run, "--data", data, "--iterations", total, "--out", full]).ExitCode);
        Assert.Equal(Weights(full), Weights(model));
    }

    [Fact]
    public void A_resume_on_other_data_or_with_changed_options_is_refused_before_training()
    {
        using var cli = WithData(out string data);
        string checkpoint = cli.File("c.safetensors"), model = cli.File("m.safetensors");
        Assert.Equal(0, cli.Run(["train", .. Run, "--data", data, "--iterations", "8", "--checkpoint-every", "8", "--checkpoint", checkpoint, "--out", cli.File("first.safetensors")]).ExitCode);
        string other = cli.File("other.csv");
        File.WriteAllText(other, Csv(4));

        var otherData = cli.Run("train", "--data", other, "--target", "y", "--task", "classify", "--resume", checkpoint, "--out", model);
        CliAssert.RefusedBeforeTraining(otherData, $"error: --resume {checkpoint}: the checkpoint was trained on other data: {data} read with --target y --task classify (32 training sequences");
        Assert.Contains($"where --data {other} with these options gives 32 training sequences", otherData.Error, StringComparison.Ordinal);

        var normalize = cli.Run("train", "--data", data, "--target", "y", "--task", "classify", "--normalize", "none", "--resume", checkpoint, "--out", model);
        CliAssert.Error(normalize, 2, "error: --normalize cannot be changed with --resume: the run used --normalize standard, this command line gives none. Give the run's data options again: --target y --task classify");

        var hidden = cli.Run("train", "--data", data, "--target", "y", "--task", "classify", "--hidden", "16", "--resume", checkpoint, "--out", model);
        CliAssert.Error(hidden, 2, "error: --hidden cannot be changed with --resume: the checkpoint's value is used.");
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void A_checkpoint_of_the_other_kind_of_run_is_refused_both_ways()
    {
        using var cli = WithData(out string data);
        string images = cli.File("images.checkpoint.safetensors"), sequences = cli.File("seq.checkpoint.safetensors");
        Assert.Equal(0, cli.TrainSmall(cli.File("i.safetensors"), "--checkpoint-every", "12", "--checkpoint", images).ExitCode);
        Assert.Equal(0, cli.Run(["train", .. Run, "--data", data, "--iterations", "4", "--checkpoint-every", "4", "--checkpoint", sequences, "--out", cli.File("s.safetensors")]).ExitCode);

        CliAssert.RefusedBeforeTraining(
            cli.Run("train", "--data", data, "--target", "y", "--task", "classify", "--resume", images, "--out", cli.File("m.safetensors")),
            $"error: --resume {images}: this checkpoint is of a run on MNIST images, not on a sequence file");
        CliAssert.RefusedBeforeTraining(
            cli.Run("train", "--data", cli.DataDirectory, "--resume", sequences, "--out", cli.File("m.safetensors")),
            $"error: --resume {sequences}: this checkpoint is of a run on a sequence file, not on MNIST images");
    }

    [Theory]
    [InlineData("run.epoch_loss_sum", "zz", "expected 16 hex digits (a double's bits), found \"zz\"")]
    [InlineData("run.epochs_reported", "-1", "expected a whole number from 0 to 9223372036854775807, found \"-1\"")]
    [InlineData("run.data_md5", null, "expected it, found it missing")]
    public void A_damaged_run_fact_is_one_error_naming_the_file_and_the_field(string key, string? value, string expected)
    {
        using var cli = WithData(out string data);
        string checkpoint = cli.File("c.safetensors"), model = cli.File("m.safetensors");
        Assert.Equal(0, cli.Run(["train", .. Run, "--data", data, "--iterations", "6", "--checkpoint-every", "6", "--checkpoint", checkpoint, "--out", cli.File("first.safetensors")]).ExitCode);
        var saved = CheckpointFile.Load(checkpoint);
        var facts = new Dictionary<string, string>(saved.RunFacts, StringComparer.Ordinal);
        if (value is null)
        {
            facts.Remove(key);
        }
        else
        {
            facts[key] = value;
        }

        SaveEdited(saved, saved.Cursor, facts, checkpoint);

        var result = cli.Run("train", "--data", data, "--target", "y", "--task", "classify", "--resume", checkpoint, "--out", model);
        CliAssert.RefusedBeforeTraining(result, $"error: {checkpoint}: __metadata__.{key}: {expected}");
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void A_checkpoint_whose_place_in_the_data_is_not_where_its_iterations_lead_is_refused()
    {
        using var cli = WithData(out string data);
        string checkpoint = cli.File("c.safetensors");
        Assert.Equal(0, cli.Run(["train", .. Run, "--data", data, "--iterations", "6", "--checkpoint-every", "6", "--checkpoint", checkpoint, "--out", cli.File("first.safetensors")]).ExitCode);
        var saved = CheckpointFile.Load(checkpoint);
        SaveEdited(saved, saved.Cursor with { EpochPosition = saved.Cursor.EpochPosition + 1 }, saved.RunFacts, checkpoint);

        var result = cli.Run("train", "--data", data, "--target", "y", "--task", "classify", "--resume", checkpoint, "--out", cli.File("m.safetensors"));
        CliAssert.RefusedBeforeTraining(result, $"error: {checkpoint}: __metadata__.train.shuffle_state: expected the place 6 iterations of --batches epochs lead to");
    }

    /// <summary>Writes <paramref name="saved"/> back with another cursor and other run facts: a checkpoint edited by hand.</summary>
    private static void SaveEdited(TrainingCheckpoint saved, TrainingCursor cursor, IReadOnlyDictionary<string, string> runFacts, string path)
        => CheckpointFile.Save(new TrainingCheckpoint
        {
            Model = saved.Model,
            FirstMoment = saved.FirstMoment,
            SecondMoment = saved.SecondMoment,
            AdamStep = saved.AdamStep,
            Settings = saved.Settings,
            Cursor = cursor,
            DropoutState = saved.DropoutState,
            TrainingExamples = saved.TrainingExamples,
            RunFacts = runFacts,
        }, path);
}
