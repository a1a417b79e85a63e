using System.Globalization;
using System.Text;
using EdgeLstm.IO;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// <c>train --data FILE --init MODEL</c>: fine-tuning on a sequence file starts from the model's weights with its
/// architecture, and a model whose weights do not fit the data is refused, naming it, before training.
/// </summary>
public class SequenceInitTests
{
    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>30 sequences of 3 to 5 steps with <paramref name="features"/> features and a class per sequence.</summary>
    private static string Csv(int features)
    {
        var random = new Random(5);
        var text = new StringBuilder("id," + string.Join(",", Enumerable.Range(0, features).Select(f => Invariant($"f{f}"))) + ",y\n");
        for (int s = 0; s < 30; s++)
        {
            for (int t = 0; t < 3 + (s % 3); t++)
            {
                text.Append(Invariant($"s{s},{string.Join(",", Enumerable.Range(0, features).Select(_ => (random.NextDouble() + (s % 2)).ToString("0.###", CultureInfo.InvariantCulture)))},{s % 2}\n"));
            }
        }

        return text.ToString();
    }

    [Fact]
    public void Fine_tuning_starts_from_the_model_s_weights_with_its_architecture()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        File.WriteAllText(cli.File("d.csv"), Csv(2));
        string first = cli.File("first.safetensors"), tuned = cli.File("tuned.safetensors");
        var made = cli.Run("train", "--data", "d.csv", "--target", "y", "--task", "classify", "--hidden", "6", "--layers", "2", "--iterations", "5", "--threads", "1", "--out", first);
        Assert.True(made.ExitCode == 0, made.ToString());

        // No iteration: what is saved is exactly what the run started from.
        var run = cli.Run("train", "--data", "d.csv", "--target", "y", "--task", "classify", "--init", first, "--iterations", "0", "--threads", "1", "--out", tuned);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"init: weights from {first}", run.Out, StringComparison.Ordinal);
        var model = ModelFile.Load(tuned).Model;
        Assert.Equal(6, model.Config.HiddenSize);
        Assert.Equal(2, model.Config.Layers);
        Assert.Equal(ModelFile.Load(first).Model.Parameters.ToArray(), model.Parameters.ToArray());

        var trained = cli.Run("train", "--data", "d.csv", "--target", "y", "--task", "classify", "--init", first, "--iterations", "3", "--threads", "1", "--out", tuned);
        Assert.True(trained.ExitCode == 0, trained.ToString());
        Assert.NotEqual(ModelFile.Load(first).Model.Parameters.ToArray(), ModelFile.Load(tuned).Model.Parameters.ToArray());
    }

    [Fact]
    public void A_model_for_other_inputs_is_refused_before_training()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        File.WriteAllText(cli.File("two.csv"), Csv(2));
        File.WriteAllText(cli.File("three.csv"), Csv(3));
        string first = cli.File("first.safetensors"), tuned = cli.File("tuned.safetensors");
        Assert.Equal(0, cli.Run("train", "--data", "two.csv", "--target", "y", "--task", "classify", "--hidden", "6", "--iterations", "2", "--threads", "1", "--out", first).ExitCode);

        var run = cli.Run("train", "--data", "three.csv", "--target", "y", "--task", "classify", "--init", first, "--out", tuned);
        CliAssert.RefusedBeforeTraining(run, $"error: --init {first}: the model is ");
        Assert.Contains("but these data need", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch ", run.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(tuned));

        CliAssert.Error(cli.Run("train", "--data", "two.csv", "--target", "y", "--task", "classify", "--init", first, "--hidden", "8", "--out", tuned), 2, "error: --hidden cannot be given with --init: the architecture comes from the model.");
    }
}
