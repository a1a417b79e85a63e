using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.IO;

public class CheckpointFileTests
{
    /// <summary>The same checkpoint every call (fixed seeds), with <paramref name="best"/> as its best weights.</summary>
    private static TrainingCheckpoint Sample(float[]? best = null)
    {
        var config = new LstmConfig(4, 5, 1, 3, 6);
        var model = LstmModel.Create(config, 8);
        var random = new SeededRandom(99);
        var m = new float[model.Parameters.Length];
        var v = new float[model.Parameters.Length];
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = (random.NextSingle() - 0.5f) * 1e-3f;
            v[i] = random.NextSingle() * 1e-6f;
        }

        return new TrainingCheckpoint
        {
            Model = model,
            FirstMoment = m,
            SecondMoment = v,
            AdamStep = 123,
            Settings = new RecipeSettings { Model = config, Iterations = 500, BatchSize = 16, KeepProbability = 0.75f, LearningRate = 3e-4f, Seed = 77, GradientClipNorm = 5, CheckpointEvery = 50, Loss = LossReduction.MeanOverBatch },
            Cursor = new TrainingCursor(123, 2, 17, [1, 2, 3, ulong.MaxValue]),
            DropoutState = [5, 6, 7, 0x8000_0000_0000_0000],
            TrainingExamples = 900,
            BestParameters = best,
        };
    }

    [Fact]
    public void Round_trips_everything_a_resume_needs()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.safetensors");
        var saved = Sample();
        CheckpointFile.Save(saved, path);
        var loaded = CheckpointFile.Load(path);

        Assert.Equal(saved.Model.Parameters.ToArray(), loaded.Model.Parameters.ToArray());
        Assert.Equal(saved.FirstMoment, loaded.FirstMoment);
        Assert.Equal(saved.SecondMoment, loaded.SecondMoment);
        Assert.Equal(saved.AdamStep, loaded.AdamStep);
        Assert.Equal(saved.Settings with { Threads = 0 }, loaded.Settings);
        Assert.Equal((123L, 2, 17), (loaded.Cursor.Iteration, loaded.Cursor.EpochsCompleted, loaded.Cursor.EpochPosition));
        Assert.Equal(saved.Cursor.EpochShuffleState, loaded.Cursor.EpochShuffleState);
        Assert.Equal(saved.DropoutState, loaded.DropoutState);
        Assert.Equal(900, loaded.TrainingExamples);
    }

    [Fact]
    public void A_checkpoint_is_also_a_model_file_and_a_model_is_not_a_checkpoint()
    {
        var saved = Sample();
        byte[] bytes = CheckpointFile.ToBytes(saved);
        var asModel = ModelFile.Load(bytes, "c");
        Assert.Equal("checkpoint", asModel.Kind);
        Assert.Equal(saved.Model.Parameters.ToArray(), asModel.Model.Parameters.ToArray());

        var e = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(ModelFile.ToBytes(saved.Model), "m"));
        Assert.Equal("m: __metadata__.kind: expected \"checkpoint\" (a file written with --checkpoint-every or on Ctrl-C), found \"model\"", e.Message);
    }

    /// <summary>Best weights (early stopping) travel as best.* tensors under train.best_weights = "kept": all or none.</summary>
    [Fact]
    public void Best_weights_round_trip_and_a_damaged_set_of_them_is_named()
    {
        var sample = Sample();
        var best = sample.Model.Parameters.ToArray().Select(p => p * 0.5f).ToArray();
        byte[] bytes = CheckpointFile.ToBytes(Sample(best));
        Assert.Equal(best, CheckpointFile.Load(bytes, "c").BestParameters);
        Assert.Null(CheckpointFile.Load(CheckpointFile.ToBytes(sample), "c").BestParameters);
        Assert.Equal(sample.Model.Parameters.ToArray(), ModelFile.Load(bytes, "c").Model.Parameters.ToArray());

        byte[] missing = Renamed(bytes, "best.fc.bias", "beste.fc.bias");
        var e1 = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(missing, "c"));
        Assert.Equal("c: tensor best.fc.bias: expected it (shape [3] for this architecture), found it missing", e1.Message);

        byte[] unflagged = SafeTensorsBytes.EditHeader(bytes, h => ((System.Text.Json.Nodes.JsonObject)h["__metadata__"]!).Remove("train.best_weights"));
        var e2 = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(unflagged, "c"));
        Assert.StartsWith("c: tensor best.", e2.Message, StringComparison.Ordinal);
        Assert.EndsWith("expected no such tensor in this model, found it (extra tensor)", e2.Message, StringComparison.Ordinal);

        byte[] badFlag = SafeTensorsBytes.EditHeader(bytes, h => h["__metadata__"]!["train.best_weights"] = "some");
        var e3 = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(badFlag, "c"));
        Assert.Equal("c: __metadata__.train.best_weights: expected \"kept\" or no such key, found \"some\"", e3.Message);
        Assert.Throws<ArgumentException>(() => CheckpointFile.ToBytes(Sample(best[1..])));
    }

    [Fact]
    public void Missing_moments_and_bad_states_are_named()
    {
        byte[] bytes = CheckpointFile.ToBytes(Sample());
        byte[] noMoment = Renamed(bytes, "adam.v.fc.bias", "adam.w.fc.bias");
        var e1 = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(noMoment, "c"));
        Assert.Equal("c: tensor adam.v.fc.bias: expected it (shape [3] for this architecture), found it missing", e1.Message);

        byte[] badState = SafeTensorsBytes.EditHeader(bytes, h => h["__metadata__"]!["train.dropout_state"] = "0,0,0,0");
        var e2 = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(badState, "c"));
        Assert.Equal("c: __metadata__.train.dropout_state: expected four hex words, not all zero, found \"0,0,0,0\"", e2.Message);

        byte[] badLoss = SafeTensorsBytes.EditHeader(bytes, h => h["__metadata__"]!["train.loss"] = "7");
        var e3 = Assert.Throws<ModelFormatException>(() => CheckpointFile.Load(badLoss, "c"));
        Assert.StartsWith("c: __metadata__.train.loss: expected one of", e3.Message, StringComparison.Ordinal);
    }

    /// <summary>The file with tensor <paramref name="name"/> renamed: a tensor missing, and one extra in its place.</summary>
    private static byte[] Renamed(byte[] bytes, string name, string newName) => SafeTensorsBytes.EditHeader(bytes, h =>
    {
        var entry = h[name]!.DeepClone();
        h.Remove(name);
        h[newName] = entry;
    });
}
