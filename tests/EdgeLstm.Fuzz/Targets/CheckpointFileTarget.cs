using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Fuzz.Targets;

/// <summary><see cref="CheckpointFile.Load(ReadOnlyMemory{byte}, string)"/> and by path: the file <c>train --resume</c> and the C ABI read.</summary>
internal sealed class CheckpointFileTarget : FuzzTarget
{
    private static readonly string[] SettingKeys =
        ["train.batch_size", "train.learning_rate", "train.keep_prob", "train.clip_norm", "train.iterations", "train.iterations_done", "train.epoch_position", "train.examples", "train.seed", "adam.step", "train.shuffle_state", "train.dropout_state", "train.loss", "train.final_learning_rate", "train.report_every", "train.checkpoint_every", "run.kind", "run.epoch_loss_sum", "train.best_weights"];

    private static readonly string[] SettingValues =
        ["0", "1", "65536", "65537", "-1", "+1", "01", "1\u0000", "10", "1e39", "3.4e38", "1e-45", "NaN", "-Infinity", "9223372036854775807", "18446744073709551616", "0,0,0,0", "1,2,3", "g,1,1,1", "Sum", "Bogus", "constant", "kept", ""];

    public override string Name => "checkpoint";

    public override Type FormatException => typeof(ModelFormatException);

    // With and without an early-stopping run's best weights (best.* tensors).
    public override IReadOnlyList<byte[]> Seeds { get; } = [MakeCheckpoint(), MakeCheckpoint(withBestWeights: true)];

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured { get; } =
        [.. SafeTensorsMutations.All, ("checkpoint settings", EditSetting)];

    public static byte[] MakeCheckpoint(bool withBestWeights = false)
    {
        var config = new LstmConfig(3, 4, 2, 3, 5);
        var model = LstmModel.Create(config, 7);
        var random = new Random(7);
        float[] Moments() => [.. Enumerable.Range(0, model.Parameters.Length).Select(_ => (float)random.NextDouble() * 1e-3f)];
        return CheckpointFile.ToBytes(new TrainingCheckpoint
        {
            Model = model,
            FirstMoment = Moments(),
            SecondMoment = Moments(),
            AdamStep = 12,
            Settings = new RecipeSettings { Model = config, Iterations = 100, BatchSize = 8 },
            Cursor = new TrainingCursor(12, 1, 16, [1, 2, 3, 4]),
            DropoutState = [5, 6, 7, 8],
            TrainingExamples = 40,
            BestParameters = withBestWeights ? Moments() : null,

            // A sequence-file run's facts: read back as text, whatever they hold (the CLI checks them).
            RunFacts = new Dictionary<string, string>(StringComparer.Ordinal) { ["run.kind"] = "sequence-file", ["run.epoch_loss_sum"] = "3ff0000000000000" },
        });
    }

    public override void Load(byte[] input, LoadRoute route, string path)
    {
        if (route == LoadRoute.File)
        {
            File.WriteAllBytes(path, input);
            CheckpointFile.Load(path);
        }
        else
        {
            CheckpointFile.Load(input, "fuzz");
        }
    }

    private static byte[] EditSetting(byte[] file, Random random) => SafeTensorsMutations.EditJson(file, random, (h, r) =>
        h["__metadata__"]![SettingKeys[r.Next(SettingKeys.Length)]] = SettingValues[r.Next(SettingValues.Length)]);
}
