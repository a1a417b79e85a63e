using EdgeLstm.IO;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Cli;

/// <summary><c>edgelstm train --cell lstm|gru</c>: the recurrent cell of every layer.</summary>
public class CellOptionTests
{
    [Fact]
    public void Train_with_cell_gru_saves_a_gru_model_that_evaluates_and_resumes()
    {
        using var cli = new CliHarness();
        string model = cli.File("gru.safetensors");
        var train = cli.TrainSmall(model, "--cell", "gru", "--checkpoint-every", "6");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("GRU layers", train.Out, StringComparison.Ordinal);

        var loaded = ModelFile.Load(model);
        Assert.Equal(CellKind.Gru, loaded.Model.Config.Cell);
        Assert.Equal("2", loaded.Metadata[ModelFile.FormatVersionKey]);
        Assert.True(loaded.Model.HasTensor("gru.weight_hh_l1"));

        var evaluate = cli.Run("evaluate", model, "--data", cli.DataDirectory);
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());

        // The checkpoint keeps the cell: resuming continues the GRU run.
        string checkpoint = cli.File("gru.checkpoint.safetensors");
        Assert.True(File.Exists(checkpoint), train.ToString());
        string resumed = cli.File("resumed.safetensors");
        var resume = cli.Run("train", "--data", cli.DataDirectory, "--resume", checkpoint, "--iterations", "14", "--threads", "1", "--out", resumed);
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Equal(CellKind.Gru, ModelFile.Load(resumed).Model.Config.Cell);
    }

    [Fact]
    public void An_unknown_cell_is_refused_and_a_cell_cannot_be_given_with_init()
    {
        using var cli = new CliHarness();
        var unknown = cli.Run("train", "--data", cli.DataDirectory, "--cell", "rnn");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("rnn", unknown.Error, StringComparison.Ordinal);

        string model = cli.File("m.safetensors");
        Assert.Equal(0, cli.TrainSmall(model).ExitCode);
        var withInit = cli.Run("train", "--data", cli.DataDirectory, "--init", model, "--cell", "gru");
        Assert.Equal(2, withInit.ExitCode);
        Assert.Contains("--cell cannot be given with --init", withInit.Error, StringComparison.Ordinal);
    }
}
