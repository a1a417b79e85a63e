using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Recipe;

/// <summary>A run that goes non-finite stops there and never applies a non-finite gradient (issue 10, item 6).</summary>
public class NonFiniteTrainingTests
{
    private static readonly RecipeSettings Settings = new()
    {
        Model = new LstmConfig(28, 6, 2, 10, 28),
        Iterations = 5,
        BatchSize = 8,
        Threads = 1,
    };

    /// <summary>Sets every weight to ±<paramref name="magnitude"/>, alternating: finite weights whose products overflow.</summary>
    internal static void FillAlternating(LstmModel model, float magnitude)
    {
        var p = model.Parameters;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = i % 2 == 0 ? magnitude : -magnitude;
        }

        model.MarkParametersChanged();
    }

    [Fact]
    public void A_non_finite_gradient_stops_the_run_and_leaves_model_and_optimiser_as_they_were()
    {
        var initial = LstmModel.Create(Settings.Model, 3);
        FillAlternating(initial, 3e38f);
        using var trainer = new RecipeTrainer(Settings, RecipeTrainerTests.SmallSet(), initial);
        int steps = 0;
        trainer.StepCompleted = _ => steps++;

        Assert.Equal(TrainingOutcome.NonFinite, trainer.Run());
        Assert.Equal(new NonFiniteStep(1, float.NaN, float.NaN, StateIsGood: true), trainer.NonFinite);
        Assert.Equal(0, trainer.Iteration);
        Assert.Equal(0, steps);
        Assert.Equal(initial.Parameters.ToArray(), trainer.Model.Parameters.ToArray());
        var checkpoint = trainer.CreateCheckpoint();
        Assert.Equal(0, checkpoint.AdamStep);
        Assert.All(checkpoint.FirstMoment, m => Assert.Equal(0f, m));
    }

    [Fact]
    public void An_update_that_overflows_the_weights_is_reported_as_no_longer_good()
    {
        // A first moment of 3e38 with a second moment of 0 (all finite) makes Adam's next step infinite.
        var set = RecipeTrainerTests.SmallSet();
        TrainingCheckpoint start;
        using (var fresh = new RecipeTrainer(Settings, set))
        {
            start = fresh.CreateCheckpoint();
        }

        start.FirstMoment.AsSpan().Fill(3e38f);
        using var trainer = RecipeTrainer.Resume(start, set);

        Assert.Equal(TrainingOutcome.NonFinite, trainer.Run());
        Assert.False(trainer.NonFinite!.StateIsGood, trainer.NonFinite.ToString());
        Assert.Equal(1, trainer.NonFinite.Iteration);
        Assert.True(float.IsFinite(trainer.NonFinite.GradientNorm));
    }

    [Fact]
    public void A_healthy_run_reports_its_gradient_norm()
    {
        using var trainer = new LstmTrainer(LstmModel.Create(Settings.Model, 1), new TrainerOptions { Threads = 1 });
        var set = RecipeTrainerTests.SmallSet();
        var inputs = new float[8 * set.Images.ImageLength];
        var labels = new int[8];
        set.CopyRange(0, inputs, labels);
        trainer.TrainBatch(inputs, labels);
        Assert.True(float.IsFinite(trainer.LastGradientNorm) && trainer.LastGradientNorm > 0, trainer.LastGradientNorm.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, trainer.Optimizer.Step);
    }
}
