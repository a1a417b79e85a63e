using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// Signals sent with kill(1) to the real CLI process (issue 10, item 7): training saves a checkpoint on SIGINT, SIGTERM
/// and SIGHUP alike and exits with 128 + the signal; the other commands stop at the first Ctrl-C.
/// </summary>
public class SignalTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("HUP", 129)]
    [InlineData("TERM", 143)]
    [InlineData("INT", 130)]
    public void Training_saves_a_loadable_checkpoint_on_each_signal_and_exits_with_its_code(string signal, int code)
    {
        using var cli = new CliHarness(train: 200, test: 4);
        string model = cli.File("m.safetensors"), checkpoint = cli.File("m.checkpoint.safetensors");
        using var process = new CliProcess(cli.Directory, "train", "--data", cli.DataDirectory, "--iterations", "100000000", "--hidden", "8", "--batch-size", "8", "--threads", "1", "--out", model);
        process.WaitForOutput("train epoch 0 train iteration 0", Bound);
        process.Signal(signal);

        Assert.Equal(code, process.WaitForExit(Bound));
        Assert.Contains(process.Output, l => l.StartsWith("interrupted at iteration ", StringComparison.Ordinal) && l.EndsWith($"checkpoint saved to {checkpoint}", StringComparison.Ordinal));
        Assert.Contains($"continue with: edgelstm train --resume {checkpoint}", process.Output);
        var saved = CheckpointFile.Load(checkpoint);
        Assert.Equal(8, saved.Model.Config.HiddenSize);
        Assert.False(File.Exists(model));
        Assert.Empty(Directory.EnumerateFiles(cli.Directory, ".*.tmp"));
    }

    [Fact]
    public void The_first_ctrl_c_stops_evaluate_at_once()
    {
        // A model large enough that evaluating the 10,000 bundled test images takes a minute or more: a signal that is
        // not acted on lets it finish with exit code 0.
        using var dir = new TempDirectory();
        string model = dir.File("big.safetensors");
        ModelFile.Save(LstmModel.Create(new LstmConfig(28, 768, 2, 10, 28), 1), model);
        using var process = new CliProcess(dir.Path, "evaluate", model, "--data", RepositoryPaths.BundledMnist, "--threads", "1");
        process.WaitForOutput("data:", Bound);
        process.Signal("INT");

        Assert.Equal(130, process.WaitForExit(Bound));
        Assert.Equal("interrupted", process.Error.Trim());
        Assert.DoesNotContain(process.Output, l => l.StartsWith("test accuracy", StringComparison.Ordinal));
    }

    [Fact]
    public void Info_under_the_jit_does_not_claim_native_aot()
    {
        // The build's runtimeconfig carries PublishAot's IsDynamicCodeSupported=false even for a JIT run, so only a real
        // process of the built dll (as dotnet run starts it) shows what info says there.
        using var dir = new TempDirectory();
        using var process = new CliProcess(dir.Path, "info");
        Assert.Equal(0, process.WaitForExit(Bound));
        Assert.Contains(process.Output, l => l.StartsWith("runtime:", StringComparison.Ordinal) && l.EndsWith("JIT (compiled at run time for this processor)", StringComparison.Ordinal));
        Assert.DoesNotContain(process.Output, l => l.Contains("Native AOT", StringComparison.Ordinal));
    }

    [Fact]
    public void Kill_9_during_checkpoint_saves_never_loses_the_checkpoint_and_the_next_run_clears_its_temporaries()
    {
        // A checkpoint every iteration, so the kill most likely lands in a save; whatever it interrupts, the file on disk
        // is a whole checkpoint, and the next run's first write removes the dead process's temporary, if one was left.
        using var cli = new CliHarness(train: 200, test: 4);
        string model = cli.File("m.safetensors"), checkpoint = cli.File("m.checkpoint.safetensors");
        using (var process = new CliProcess(cli.Directory, "train", "--data", cli.DataDirectory, "--iterations", "100000000", "--hidden", "64", "--batch-size", "8", "--threads", "1", "--checkpoint-every", "1", "--out", model))
        {
            process.WaitForOutput("checkpoint at iteration 5:", Bound);
            process.Signal("KILL");
            Assert.Equal(137, process.WaitForExit(Bound));
        }

        long iteration = CheckpointFile.Load(checkpoint).Cursor.Iteration;
        Assert.True(iteration >= 5, iteration.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var resumed = cli.Run("train", "--data", cli.DataDirectory, "--resume", checkpoint, "--iterations", (iteration + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", model);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Empty(Directory.EnumerateFiles(cli.Directory, ".*.tmp"));
    }
}
