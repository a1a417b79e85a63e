using EdgeLstm.IO;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// <c>edgelstm quantize</c> and the commands that read its output: evaluate, predict, inspect and info take an int8
/// model with no new options; quantize and <c>train --init</c> refuse one.
/// </summary>
public class QuantizeCommandTests
{
    [Fact]
    public void Quantize_writes_an_int8_model_that_every_reading_command_takes()
    {
        using var cli = new CliHarness();
        string fp32 = cli.File("m.safetensors");
        Assert.Equal(0, cli.TrainSmall(fp32).ExitCode);

        // Without --out the name is derived from MODEL's.
        var quantize = cli.Run("quantize", fp32);
        Assert.True(quantize.ExitCode == 0, quantize.ToString());
        string int8 = cli.File("m.int8.safetensors");
        Assert.Contains($"int8 model saved to {int8}", quantize.Out, StringComparison.Ordinal);
        Assert.Contains("size:", quantize.Out, StringComparison.Ordinal);
        Assert.Contains($"{new FileInfo(fp32).Length:N0} bytes (fp32) → {new FileInfo(int8).Length:N0} bytes (int8)", quantize.Out, StringComparison.Ordinal);
        var loaded = ModelFile.Load(int8);
        Assert.NotNull(loaded.Model.Int8Weights);
        Assert.Equal("m.safetensors", loaded.Metadata["quantized_from"]);
        Assert.Equal(ModelFile.Load(fp32).Metadata["train.seed"], loaded.Metadata["train.seed"]);

        var evaluate = cli.Run("evaluate", int8, "--data", cli.DataDirectory, "--threads", "1");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        Assert.Contains("test accuracy", evaluate.Out, StringComparison.Ordinal);

        var predict = cli.Run("predict", int8, "--index", "0", "--data", cli.DataDirectory);
        Assert.True(predict.ExitCode == 0, predict.ToString());

        var inspect = cli.Run("inspect", int8, "--index", "0", "--data", cli.DataDirectory, "--threads", "1");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("weights: int8, symmetric_per_row", inspect.Out, StringComparison.Ordinal);

        var info = cli.Run("info", int8);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("format_version 3 (model)", info.Out, StringComparison.Ordinal);
        Assert.Contains("int8, symmetric_per_row", info.Out, StringComparison.Ordinal);
        var infoFp32 = cli.Run("info", fp32);
        Assert.Contains("weights:      fp32", infoFp32.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_refuses_an_int8_model_its_own_input_as_output_and_an_unwritable_output_before_writing()
    {
        using var cli = new CliHarness();
        string fp32 = cli.File("m.safetensors");
        Assert.Equal(0, cli.TrainSmall(fp32).ExitCode);
        string int8 = cli.File("q.safetensors");
        Assert.Equal(0, cli.Run("quantize", fp32, "--out", int8).ExitCode);
        byte[] fp32Bytes = File.ReadAllBytes(fp32);

        var again = cli.Run("quantize", int8, "--out", cli.File("qq.safetensors"));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("the weights are int8 already", again.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(cli.File("qq.safetensors")));

        var self = cli.Run("quantize", fp32, "--out", fp32);
        Assert.Equal(2, self.ExitCode);
        Assert.Contains("is MODEL itself", self.Error, StringComparison.Ordinal);
        Assert.Equal(fp32Bytes, File.ReadAllBytes(fp32));

        string directory = cli.File("a-directory");
        Directory.CreateDirectory(directory);
        var toDirectory = cli.Run("quantize", fp32, "--out", directory);
        Assert.Equal(1, toDirectory.ExitCode);
        Assert.StartsWith("error: --out ", toDirectory.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(directory));

        var empty = cli.Run("quantize", fp32, "--out", string.Empty);
        Assert.Equal(2, empty.ExitCode);
    }

    [Fact]
    public void Train_init_refuses_an_int8_model()
    {
        using var cli = new CliHarness();
        string fp32 = cli.File("m.safetensors");
        Assert.Equal(0, cli.TrainSmall(fp32).ExitCode);
        string int8 = cli.File("m.int8.safetensors");
        Assert.Equal(0, cli.Run("quantize", fp32).ExitCode);

        string tuned = cli.File("tuned.safetensors");
        var init = cli.Run("train", "--data", cli.DataDirectory, "--init", int8, "--iterations", "1", "--threads", "1", "--out", tuned);
        Assert.Equal(1, init.ExitCode);
        Assert.Contains("the model has int8 weights; training is fp32 only", init.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(tuned));
    }
}
