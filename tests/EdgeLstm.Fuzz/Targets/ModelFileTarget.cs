using EdgeLstm.IO;
using EdgeLstm.Model;

namespace EdgeLstm.Fuzz.Targets;

/// <summary><see cref="ModelFile.Load(ReadOnlyMemory{byte}, string)"/> and <see cref="ModelFile.Load(string)"/>: models, a checkpoint, a PyTorch file.</summary>
internal sealed class ModelFileTarget : FuzzTarget
{
    public override string Name => "model file";

    public override Type FormatException => typeof(ModelFormatException);

    public override IReadOnlyList<byte[]> Seeds { get; } =
    [
        ModelFile.ToBytes(LstmModel.Create(new LstmConfig(3, 4, 2, 3, 5), 1), new Dictionary<string, string> { ["train.seed"] = "1" }),
        ModelFile.ToBytes(LstmModel.Create(new LstmConfig(7, 2, 1, 2, 3), 2)),
        ForeignFile(),
        CheckpointFileTarget.MakeCheckpoint(),
        WithPreprocessing(),
    ];

    public override IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> Structured => SafeTensorsMutations.All;

    public override void Load(byte[] input, LoadRoute route, string path) => LoadModel(input, route, path);

    /// <summary>Loads a model file the way the CLI (from a path) or the C ABI (from bytes) does; shared with the int8 target.</summary>
    internal static void LoadModel(byte[] input, LoadRoute route, string path)
    {
        if (route == LoadRoute.File)
        {
            File.WriteAllBytes(path, input);
            ModelFile.Load(path);
        }
        else
        {
            ModelFile.Load(input, "fuzz");
        }
    }

    /// <summary>A forecaster carrying every part of its preprocessing (the <c>preprocessing.*</c> metadata keys).</summary>
    private static byte[] WithPreprocessing()
    {
        var model = LstmModel.Create(new LstmConfig(2, 3, 1, 2, 4) { Head = HeadKind.RegressLastStep }, 4);
        model.Preprocessing = new Preprocessing(
            new Data.Sequences.NormalizationStatistics([300.5f, -1e-3f], [2.25f, 0.5f]),
            new Data.Sequences.NormalizationStatistics([0.1f, 3f], [1f, 7.5f]),
            featureNames: ["co2", "temp, \"°C\""],
            forecast: new Data.Sequences.ForecastSpec(4, 1, [0, 1]));
        return ModelFile.ToBytes(model);
    }

    /// <summary>What safetensors.torch.save_file writes for the same module: PyTorch's names, {"format": "pt"}.</summary>
    private static byte[] ForeignFile()
    {
        byte[] ours = ModelFile.ToBytes(LstmModel.Create(new LstmConfig(4, 3, 2, 5, 28), 3));
        return SafeTensorsMutations.EditJson(ours, new Random(0), (h, _) => h["__metadata__"] = new System.Text.Json.Nodes.JsonObject { ["format"] = "pt" });
    }
}
