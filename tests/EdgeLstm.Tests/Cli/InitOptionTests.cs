using EdgeLstm.IO;

namespace EdgeLstm.Tests.Cli;

/// <summary><c>edgelstm train --init MODEL</c>: fine-tuning from a model's weights with a fresh optimiser.</summary>
public class InitOptionTests
{
    [Fact]
    public void Init_starts_from_the_model_and_takes_its_architecture()
    {
        using var cli = new CliHarness();
        string first = cli.File("first.safetensors");
        var train = cli.TrainSmall(first);
        Assert.True(train.ExitCode == 0, train.ToString());

        // Zero iterations from --init: the saved model must be the initial model, weight for weight.
        string copy = cli.File("copy.safetensors");
        var init = cli.Run("train", "--data", cli.DataDirectory, "--init", first, "--iterations", "0", "--threads", "1", "--out", copy);
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("init: weights from", init.Out, StringComparison.Ordinal);
        Assert.Equal(ModelFile.Load(first).Model.Parameters.ToArray(), ModelFile.Load(copy).Model.Parameters.ToArray());

        // A few iterations move the weights; the architecture (hidden 8, not the default 256) comes from the model.
        string tuned = cli.File("tuned.safetensors");
        var more = cli.Run("train", "--data", cli.DataDirectory, "--init", first, "--iterations", "3", "--batch-size", "16", "--lr", "0.0001", "--threads", "1", "--out", tuned);
        Assert.True(more.ExitCode == 0, more.ToString());
        var tunedModel = ModelFile.Load(tuned).Model;
        Assert.Equal(8, tunedModel.Config.HiddenSize);
        Assert.NotEqual(ModelFile.Load(first).Model.Parameters.ToArray(), tunedModel.Parameters.ToArray());
    }

    [Fact]
    public void Init_refuses_resume_an_architecture_option_and_a_missing_file()
    {
        using var cli = new CliHarness();
        string model = cli.File("m.safetensors");
        Assert.Equal(0, cli.TrainSmall(model).ExitCode);

        var withResume = cli.Run("train", "--data", cli.DataDirectory, "--init", model, "--resume", model);
        Assert.Equal(2, withResume.ExitCode);
        Assert.Contains("--init and --resume are alternatives", withResume.Error, StringComparison.Ordinal);

        var withHidden = cli.Run("train", "--data", cli.DataDirectory, "--init", model, "--hidden", "16");
        Assert.Equal(2, withHidden.ExitCode);
        Assert.Contains("--hidden cannot be given with --init", withHidden.Error, StringComparison.Ordinal);

        var missing = cli.Run("train", "--data", cli.DataDirectory, "--init", cli.File("nope.safetensors"), "--iterations", "1");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nope.safetensors", missing.Error, StringComparison.Ordinal);
    }
}
