using EdgeLstm.Data;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Recipe;

public class RecipeTrainerTests
{
    private static readonly RecipeSettings Small = new()
    {
        Model = new LstmConfig(28, 12, 2, 10, 28),
        Iterations = 14,
        BatchSize = 16,
        ReportEvery = 5,
        Seed = 21,
        Threads = 2,
    };

    internal static LabeledImages SmallSet()
    {
        using var dir = new TempDirectory();
        IdxBuilder.WriteDataset(dir.Path, train: 100, test: 10);
        return MnistDirectory.Load(dir.Path, DatasetSplit.Train);
    }

    [Fact]
    public void Resuming_from_a_saved_checkpoint_gives_exactly_the_losses_of_an_uninterrupted_run()
    {
        var set = SmallSet();
        var uninterrupted = new List<float>();
        byte[]? checkpoint = null;
        using (var trainer = new RecipeTrainer(Small with { CheckpointEvery = 6 }, set))
        {
            trainer.StepCompleted = s => uninterrupted.Add(s.Loss);
            trainer.CheckpointDue = c => checkpoint ??= CheckpointFile.ToBytes(c);
            Assert.Equal(TrainingOutcome.Completed, trainer.Run());
        }

        // 100 examples in batches of 16: the checkpoint at 6 sits inside the first epoch, the resumed run crosses it.
        var resumedLosses = new List<float>();
        var loaded = CheckpointFile.Load(checkpoint!, "checkpoint");
        Assert.Equal(6, loaded.Cursor.Iteration);
        using (var resumed = RecipeTrainer.Resume(loaded, set, s => s with { Threads = 1 }))
        {
            resumed.StepCompleted = s => resumedLosses.Add(s.Loss);
            resumed.Run();
            Assert.Equal(14, resumed.Iteration);
            Assert.Equal(2, resumed.EpochsCompleted);
        }

        Assert.Equal(uninterrupted.Skip(6), resumedLosses);
    }

    [Fact]
    public void A_run_from_an_initial_model_starts_from_its_weights_and_leaves_it_unchanged()
    {
        var set = SmallSet();
        var initial = LstmModel.Create(Small.Model, 99);
        var before = initial.Parameters.ToArray();
        using var trainer = new RecipeTrainer(Small with { Iterations = 3 }, set, initial);
        Assert.Equal(before, trainer.Model.Parameters.ToArray());
        Assert.NotEqual(LstmModel.Create(Small.Model, Small.Seed).Parameters.ToArray(), trainer.Model.Parameters.ToArray());
        Assert.Equal(0, trainer.Iteration);

        trainer.Run();
        Assert.Equal(before, initial.Parameters.ToArray());
        Assert.NotEqual(before, trainer.Model.Parameters.ToArray());
    }

    [Fact]
    public void An_initial_model_of_another_architecture_is_refused_with_both_shapes_named()
    {
        var other = LstmModel.Create(Small.Model with { HiddenSize = 13 }, 1);
        var error = Assert.Throws<ArgumentException>(() => new RecipeTrainer(Small, SmallSet(), other));
        Assert.Contains("2 LSTM layers × 13", error.Message, StringComparison.Ordinal);
        Assert.Contains("2 LSTM layers × 12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancellation_stops_between_iterations_in_a_resumable_state()
    {
        var set = SmallSet();
        var full = new List<float>();
        using (var trainer = new RecipeTrainer(Small, set))
        {
            trainer.StepCompleted = s => full.Add(s.Loss);
            trainer.Run();
        }

        using var cts = new CancellationTokenSource();
        TrainingCheckpoint checkpoint;
        using (var trainer = new RecipeTrainer(Small, set))
        {
            trainer.StepCompleted = s =>
            {
                if (s.Iteration == 9)
                {
                    cts.Cancel();
                }
            };
            Assert.Equal(TrainingOutcome.Cancelled, trainer.Run(cts.Token));
            Assert.Equal(9, trainer.Iteration);
            checkpoint = trainer.CreateCheckpoint();
        }

        var rest = new List<float>();
        using var resumed = RecipeTrainer.Resume(checkpoint, set);
        resumed.StepCompleted = s => rest.Add(s.Loss);
        resumed.Run();
        Assert.Equal(full.Skip(9), rest);
    }

    [Fact]
    public void Reports_the_recipe_line_every_interval_and_learns_the_easy_set()
    {
        var set = SmallSet();
        var reports = new List<BatchAccuracyReport>();
        using var trainer = new RecipeTrainer(Small with { Iterations = 60, KeepProbability = 1f, LearningRate = 1e-2f }, set);
        trainer.Reported = reports.Add;
        trainer.Run();
        Assert.Equal([0L, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55], reports.Select(r => r.Iteration));
        Assert.Equal(0, reports[0].EpochsCompleted);
        Assert.Equal(896 / 100, reports[^1].EpochsCompleted); // 56 batches of 16 drawn by then

        // Each class lights its own band of rows: a working trainer separates them.
        var result = trainer.Evaluate(set);
        Assert.Equal(100, result.Total);
        Assert.True(result.Accuracy > 0.9, $"accuracy {result.Accuracy}");
    }

    [Fact]
    public void A_resume_may_not_change_the_hyper_parameters_or_the_data()
    {
        var set = SmallSet();
        using var trainer = new RecipeTrainer(Small with { Iterations = 2 }, set);
        trainer.Run();
        var checkpoint = trainer.CreateCheckpoint();
        Assert.Throws<ArgumentException>(() => RecipeTrainer.Resume(checkpoint, set, s => s with { LearningRate = 0.1f }));
        var smaller = new LabeledImages(new ImageSet(1, 28, 28, new float[784]), [3]);
        var e = Assert.Throws<ArgumentException>(() => RecipeTrainer.Resume(checkpoint, smaller));
        Assert.Contains("100 examples", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cosine_schedule_runs_from_the_rate_to_the_final_rate_and_resumes_exactly()
    {
        var schedule = Small with { Iterations = 101, LearningRate = 1e-3f, FinalLearningRate = 1e-5f };
        Assert.Equal(1e-3f, schedule.LearningRateAt(0));
        Assert.Equal(5.05e-4f, schedule.LearningRateAt(50), 6);
        Assert.Equal(1e-5f, schedule.LearningRateAt(100), 9);
        Assert.Equal(1e-3f, Small.LearningRateAt(77));

        var set = SmallSet();
        var decayed = Small with { FinalLearningRate = 1e-4f, CheckpointEvery = 7 };
        var full = new List<float>();
        byte[]? checkpoint = null;
        using (var trainer = new RecipeTrainer(decayed, set))
        {
            trainer.StepCompleted = s => full.Add(s.Loss);
            trainer.CheckpointDue = c => checkpoint ??= CheckpointFile.ToBytes(c);
            trainer.Run();
        }

        var constant = new List<float>();
        using (var trainer = new RecipeTrainer(Small, set))
        {
            trainer.StepCompleted = s => constant.Add(s.Loss);
            trainer.Run();
        }

        Assert.Equal(full[..2], constant[..2]);
        Assert.NotEqual(full[^1], constant[^1]);

        var loaded = CheckpointFile.Load(checkpoint!, "c");
        Assert.Equal(1e-4f, loaded.Settings.FinalLearningRate);
        var rest = new List<float>();
        using var resumed = RecipeTrainer.Resume(loaded, set);
        resumed.StepCompleted = s => rest.Add(s.Loss);
        resumed.Run();
        Assert.Equal(full.Skip(7), rest);
    }
}
