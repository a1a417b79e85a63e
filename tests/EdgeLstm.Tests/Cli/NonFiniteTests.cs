using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.Recipe;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// Training that goes non-finite stops, names the iteration and keeps the last good state; checkpoints are held to the
/// options' own rules; a model whose finite weights overflow gives an error, not "probability NaN" (issue 10, items 2, 6, 7).
/// </summary>
public class NonFiniteTests
{
    /// <summary>A model of finite weights, ±<paramref name="magnitude"/>, whose products overflow.</summary>
    internal static string OverflowingModel(CliHarness cli, float magnitude = 3e38f)
    {
        var model = LstmModel.Create(new LstmConfig(28, 8, 2, 10, 28), 1);
        NonFiniteTrainingTests.FillAlternating(model, magnitude);
        string path = cli.File("overflowing.safetensors");
        ModelFile.Save(model, path);
        return path;
    }

    [Fact]
    public void Training_that_goes_non_finite_stops_at_that_iteration_saves_the_last_good_state_and_no_model()
    {
        using var cli = new CliHarness(train: 40, test: 4);
        string init = OverflowingModel(cli);
        string model = cli.File("m.safetensors");
        var result = cli.Run("train", "--data", cli.DataDirectory, "--init", init, "--iterations", "5", "--batch-size", "8", "--threads", "1", "--out", model);

        string checkpoint = cli.File("m.checkpoint.safetensors");
        CliAssert.Error(result, 1, "error: training stopped at iteration 1/5: loss NaN, gradient norm NaN; that step was not applied and the model was not saved");
        Assert.Contains($"the last good state (iteration 0) is in {checkpoint}: continue with: edgelstm train --resume {checkpoint}", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(model));

        // The saved state is the starting weights, untouched, with a fresh optimiser: finite everywhere.
        var saved = CheckpointFile.Load(checkpoint);
        Assert.Equal(0, saved.AdamStep);
        Assert.Equal(ModelFile.Load(init).Model.Parameters.ToArray(), saved.Model.Parameters.ToArray());
        Assert.All(saved.SecondMoment, v => Assert.Equal(0f, v));
    }

    /// <summary>
    /// Weights of 1e30 make logits of about 1e31: finite, so the softmax still gives probabilities (it takes exp of
    /// x − max once a logit is past ±80; it once answered NaN there). Weights of 3e38 overflow the LSTM itself: an
    /// error naming the model, never NaN printed as an answer.
    /// </summary>
    [Fact]
    public void Huge_logits_give_probabilities_and_weights_that_overflow_give_an_error()
    {
        using var cli = new CliHarness(train: 8, test: 4);
        string huge = OverflowingModel(cli, 1e30f);
        var answered = cli.Run("predict", huge, "--index", "0", "--data", cli.DataDirectory);
        Assert.True(answered.ExitCode == 0, answered.Error);
        Assert.Contains("probability 0.2000", answered.Out, StringComparison.Ordinal);
        Assert.Equal(0, cli.Run("evaluate", huge, "--data", cli.DataDirectory).ExitCode);

        string model = OverflowingModel(cli, 3e38f);
        CliAssert.Error(cli.Run("predict", model, "--index", "0", "--data", cli.DataDirectory), 1, $"error: {model}: the class probabilities are not finite (NaN or infinity): the model's weights (the largest is 3E+38 in magnitude) overflow float arithmetic.");
        CliAssert.Error(cli.Run("inspect", model, "--data", cli.DataDirectory), 1, $"error: {model}: the LSTM's outputs are not finite");
        CliAssert.Error(cli.Run("evaluate", model, "--data", cli.DataDirectory), 1, $"error: {model}: the class probabilities of test image 0 are not finite");
    }

    public static TheoryData<string, string> Mutations => new()
    {
        { "lr 10", "__metadata__.train.learning_rate: expected above 0 and at most 1 (the range of --lr), found 10" },
        { "lr 3.4e38", "__metadata__.train.learning_rate: expected above 0 and at most 1 (the range of --lr), found 3.4E+38" },
        { "clip-norm 3.4e38", "__metadata__.train.clip_norm: expected 0 (off) to 1000000 (the range of --clip-norm), found 3.4E+38" },
        { "keep-prob 1e-45", "__metadata__.train.keep_prob: expected from 0.01 to 1 (the range of --keep-prob), found 1E-45" },
        { "adam.step 2^63-1", "__metadata__.adam.step: expected at most train.iterations_done (12), one step per iteration; found 9223372036854775807" },
        { "adam.v negative", "tensor adam.v.lstm.weight_hh_l1: expected finite values of at least 0 (a mean of squares), found -0.5 at element 3" },
        { "keep-prob 0.001", "__metadata__.train.keep_prob: expected from 0.01 to 1 (the range of --keep-prob), found 0.001" },
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void A_mutated_checkpoint_is_refused_naming_the_field_before_training(string mutation, string message)
    {
        using var cli = new CliHarness(train: 40, test: 4);
        string good = cli.File("good.safetensors");
        Assert.Equal(0, cli.TrainSmall(cli.File("m.safetensors"), "--checkpoint-every", "6", "--checkpoint", good).ExitCode);
        var c = CheckpointFile.Load(good);
        float[] m = [.. c.FirstMoment], v = [.. c.SecondMoment];
        var settings = c.Settings;
        long step = c.AdamStep;
        switch (mutation)
        {
            case "lr 10":
                settings = settings with { LearningRate = 10 };
                break;
            case "lr 3.4e38":
                settings = settings with { LearningRate = 3.4e38f };
                break;
            case "clip-norm 3.4e38":
                settings = settings with { GradientClipNorm = 3.4e38f };
                break;
            case "keep-prob 1e-45":
                settings = settings with { KeepProbability = 1e-45f };
                break;
            case "adam.step 2^63-1":
                step = long.MaxValue;
                break;
            case "adam.v negative":
                v[c.Model.Tensor("lstm.weight_hh_l1").Offset + 3] = -0.5f;
                break;
            default:
                settings = settings with { KeepProbability = 0.001f };
                break;
        }

        string bad = Mutated(cli, c, m, v, step, settings);
        var result = cli.Run("train", "--data", cli.DataDirectory, "--resume", bad, "--out", cli.File("r.safetensors"));
        CliAssert.Error(result, 1, $"error: {bad}: ");
        CliAssert.RefusedBeforeTraining(result, message);
    }

    [Fact]
    public void A_step_that_overflows_the_weights_points_to_the_last_good_file_and_saves_nothing()
    {
        // Adam's first moment at 3e38 with a second moment of 0 passes every check (all finite, v ≥ 0) but its first
        // update is infinite: the weights are then not good, so nothing is saved and the message names the resumed file.
        using var cli = new CliHarness(train: 40, test: 4);
        string good = cli.File("good.safetensors");
        Assert.Equal(0, cli.TrainSmall(cli.File("m.safetensors"), "--checkpoint-every", "6", "--checkpoint", good).ExitCode);
        var c = CheckpointFile.Load(good);
        string bad = Mutated(cli, c, [.. c.FirstMoment.Select(_ => 3e38f)], new float[c.SecondMoment.Length], c.AdamStep, c.Settings);
        byte[] before = File.ReadAllBytes(bad);
        string model = cli.File("r.safetensors");

        var result = cli.Run("train", "--data", cli.DataDirectory, "--resume", bad, "--iterations", "20", "--out", model);
        CliAssert.Error(result, 1, "error: training stopped at iteration 13/20: ");
        Assert.Contains("the weights overflowed and the model was not saved", result.Error, StringComparison.Ordinal);
        Assert.Contains($"the last good state (iteration 12) is in {bad}: continue with: edgelstm train --resume {bad}", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
        Assert.False(File.Exists(cli.File("r.checkpoint.safetensors")));
        Assert.Equal(before, File.ReadAllBytes(bad));
    }

    private static string Mutated(CliHarness cli, TrainingCheckpoint c, float[] m, float[] v, long step, RecipeSettings settings)
    {
        string bad = cli.File("bad.safetensors");
        CheckpointFile.Save(
            new TrainingCheckpoint
            {
                Model = c.Model,
                FirstMoment = m,
                SecondMoment = v,
                AdamStep = step,
                Settings = settings,
                Cursor = c.Cursor,
                DropoutState = c.DropoutState,
                TrainingExamples = c.TrainingExamples,
            },
            bad);
        return bad;
    }
}
