using System.Globalization;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.IO;

/// <summary>
/// A training checkpoint: the model file (same tensors, same metadata, <c>kind</c> = "checkpoint") plus Adam's moments as
/// tensors <c>adam.m.&lt;name&gt;</c> and <c>adam.v.&lt;name&gt;</c>, and in the metadata the Adam step, the settings,
/// the place in the shuffled data and both generators' states. A run that keeps its best weights so far (early
/// stopping) adds them as <c>best.&lt;name&gt;</c>, with <c>train.best_weights</c> = "kept". Resuming from it continues
/// bit for bit.
/// </summary>
/// <remarks>A checkpoint is also a valid model file: <see cref="ModelFile.Load(string)"/> reads its weights.</remarks>
public static class CheckpointFile
{
    /// <summary>The prefix of the keys of <see cref="TrainingCheckpoint.RunFacts"/> in the metadata.</summary>
    public const string RunFactPrefix = "run.";

    private const string Prefix = "train.";
    private const string BestWeightsKey = Prefix + "best_weights", BestWeightsKept = "kept", BestPrefix = "best.";

    /// <summary>Saves <paramref name="checkpoint"/> atomically.</summary>
    public static void Save(TrainingCheckpoint checkpoint, string path)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var writer = CreateWriter(checkpoint);
        AtomicFile.Write(path, writer.WriteTo);
    }

    /// <summary>The checkpoint's bytes.</summary>
    public static byte[] ToBytes(TrainingCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        using var stream = new MemoryStream();
        CreateWriter(checkpoint).WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>Loads a checkpoint; a plain model file is refused with a message saying so.</summary>
    public static TrainingCheckpoint Load(string path)
    {
        using var reader = SafeTensorsReader.Open(path);
        return Read(reader);
    }

    /// <summary>Loads a checkpoint from bytes; <paramref name="source"/> names them in messages.</summary>
    public static TrainingCheckpoint Load(ReadOnlyMemory<byte> content, string source = "(buffer)")
    {
        using var reader = SafeTensorsReader.Open(content, source);
        return Read(reader);
    }

    /// <summary>The names of the moment tensors that go with a model tensor.</summary>
    internal static IEnumerable<string> MomentNames(ParameterTensor tensor) => ["adam.m." + tensor.Name, "adam.v." + tensor.Name];

    /// <summary>
    /// The tensors a checkpoint has beside each model tensor: its moments, and its best weights when the metadata says
    /// the run keeps them (then every one must be there; otherwise none may be).
    /// </summary>
    internal static Func<ParameterTensor, IEnumerable<string>> ExtraTensorNames(SafeTensorsReader reader)
        => KeepsBestWeights(reader) ? t => [.. MomentNames(t), BestPrefix + t.Name] : MomentNames;

    private static bool KeepsBestWeights(SafeTensorsReader reader) => reader.Metadata.GetValueOrDefault(BestWeightsKey) switch
    {
        null => false,
        BestWeightsKept => true,
        var other => throw Fail(reader, BestWeightsKey, $"expected \"{BestWeightsKept}\" or no such key, found \"{ModelFile.Printable(other)}\""),
    };

    /// <summary>The training facts a finished model keeps in its metadata (settings and progress, no generator states).</summary>
    public static Dictionary<string, string> Facts(RecipeSettings settings, long iteration, int epochsCompleted)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Prefix + "iterations"] = ModelFile.Text(settings.Iterations),
            [Prefix + "iterations_done"] = ModelFile.Text(iteration),
            [Prefix + "epochs_completed"] = ModelFile.Text(epochsCompleted),
            [Prefix + "batch_size"] = ModelFile.Text(settings.BatchSize),
            [Prefix + "keep_prob"] = Text(settings.KeepProbability),
            [Prefix + "learning_rate"] = Text(settings.LearningRate),
            [Prefix + "final_learning_rate"] = settings.FinalLearningRate is { } final ? Text(final) : "constant",
            [Prefix + "seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
            [Prefix + "loss"] = settings.Loss.ToString(),
            [Prefix + "clip_norm"] = Text(settings.GradientClipNorm),
            [Prefix + "report_every"] = ModelFile.Text(settings.ReportEvery),
            [Prefix + "checkpoint_every"] = ModelFile.Text(settings.CheckpointEvery),
        };
    }

    private static SafeTensorsWriter CreateWriter(TrainingCheckpoint checkpoint)
    {
        var facts = Facts(checkpoint.Settings, checkpoint.Cursor.Iteration, checkpoint.Cursor.EpochsCompleted);
        facts[Prefix + "epoch_position"] = ModelFile.Text(checkpoint.Cursor.EpochPosition);
        facts[Prefix + "examples"] = ModelFile.Text(checkpoint.TrainingExamples);
        facts[Prefix + "shuffle_state"] = StateText(checkpoint.Cursor.EpochShuffleState);
        facts[Prefix + "dropout_state"] = StateText(checkpoint.DropoutState);
        facts["adam.step"] = ModelFile.Text(checkpoint.AdamStep);
        foreach (var (key, value) in checkpoint.RunFacts)
        {
            // Under their own prefix, so a front end's fact can never replace one the trainer's state is read from.
            facts[key.StartsWith(RunFactPrefix, StringComparison.Ordinal) ? key : throw new ArgumentException($"Run fact \"{key}\" must start with \"{RunFactPrefix}\".", nameof(checkpoint))] = value;
        }

        var best = checkpoint.BestParameters;
        if (best is not null)
        {
            facts[BestWeightsKey] = BestWeightsKept;
            if (best.Length != checkpoint.Model.Parameters.Length)
            {
                throw new ArgumentException($"The best weights have {best.Length} values; the model has {checkpoint.Model.Parameters.Length}.", nameof(checkpoint));
            }
        }

        var writer = ModelFile.CreateWriter(checkpoint.Model, "checkpoint", facts);
        foreach (var tensor in checkpoint.Model.Tensors)
        {
            writer.Add("adam.m." + tensor.Name, tensor.Shape, checkpoint.FirstMoment.AsMemory(tensor.Offset, tensor.Length));
            writer.Add("adam.v." + tensor.Name, tensor.Shape, checkpoint.SecondMoment.AsMemory(tensor.Offset, tensor.Length));
            if (best is not null)
            {
                writer.Add(BestPrefix + tensor.Name, tensor.Shape, best.AsMemory(tensor.Offset, tensor.Length));
            }
        }

        return writer;
    }

    private static TrainingCheckpoint Read(SafeTensorsReader reader)
    {
        if (reader.Metadata.GetValueOrDefault(ModelFile.KindKey) != "checkpoint")
        {
            throw new ModelFormatException(reader.Source, $"{SafeTensorsReader.MetadataKey}.{ModelFile.KindKey}", $"expected \"checkpoint\" (a file written with --checkpoint-every or on Ctrl-C), found \"{reader.Metadata.GetValueOrDefault(ModelFile.KindKey, "(none)")}\"");
        }

        var loaded = ModelFile.Read(reader, allowCheckpoint: true, ExtraTensorNames(reader));
        var model = loaded.Model;
        var m = new float[model.Parameters.Length];
        var v = new float[model.Parameters.Length];
        var best = KeepsBestWeights(reader) ? new float[model.Parameters.Length] : null;
        foreach (var tensor in model.Tensors)
        {
            reader.ReadInto(reader.Find("adam.m." + tensor.Name)!, m.AsSpan(tensor.Offset, tensor.Length));
            reader.ReadInto(reader.Find("adam.v." + tensor.Name)!, v.AsSpan(tensor.Offset, tensor.Length));
            if (best is not null)
            {
                // Every value read is checked finite, as the weights are.
                reader.ReadInto(reader.Find(BestPrefix + tensor.Name)!, best.AsSpan(tensor.Offset, tensor.Length));
            }
        }

        var settings = new RecipeSettings
        {
            Model = model.Config,
            Iterations = ModelFile.Long(reader, Prefix + "iterations", 0, long.MaxValue),
            BatchSize = ModelFile.Int(reader, Prefix + "batch_size", 1, ModelLimits.MaxBatchSize),
            KeepProbability = Float(reader, Prefix + "keep_prob"),
            LearningRate = Float(reader, Prefix + "learning_rate"),

            // Absent in files written before schedules existed: those runs had a constant rate.
            FinalLearningRate = reader.Metadata.GetValueOrDefault(Prefix + "final_learning_rate", "constant") == "constant" ? null : Float(reader, Prefix + "final_learning_rate"),
            Seed = ULong(reader, Prefix + "seed"),
            Loss = Enum.TryParse<LossReduction>(reader.Metadata.GetValueOrDefault(Prefix + "loss"), out var loss) && Enum.IsDefined(loss)
                ? loss
                : throw Fail(reader, Prefix + "loss", $"expected one of {string.Join(", ", Enum.GetNames<LossReduction>())}, found \"{reader.Metadata.GetValueOrDefault(Prefix + "loss")}\""),
            GradientClipNorm = Float(reader, Prefix + "clip_norm"),
            ReportEvery = ModelFile.Int(reader, Prefix + "report_every", 1, int.MaxValue),
            CheckpointEvery = ModelFile.Long(reader, Prefix + "checkpoint_every", 0, long.MaxValue),
        };
        try
        {
            settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw Fail(reader, Prefix + "*", $"expected valid training settings, found: {e.Message}");
        }

        int examples = ModelFile.Int(reader, Prefix + "examples", 1, int.MaxValue);
        var cursor = new TrainingCursor(
            ModelFile.Long(reader, Prefix + "iterations_done", 0, long.MaxValue),
            ModelFile.Int(reader, Prefix + "epochs_completed", 0, int.MaxValue),
            ModelFile.Int(reader, Prefix + "epoch_position", 0, examples),
            State(reader, Prefix + "shuffle_state"));
        return new TrainingCheckpoint
        {
            Model = model,
            FirstMoment = m,
            SecondMoment = v,
            AdamStep = ModelFile.Long(reader, "adam.step", 0, long.MaxValue),
            Settings = settings,
            Cursor = cursor,
            DropoutState = State(reader, Prefix + "dropout_state"),
            TrainingExamples = examples,
            BestParameters = best,
            RunFacts = reader.Metadata.Where(p => p.Key.StartsWith(RunFactPrefix, StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal),
        };
    }

    private static string Text(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string StateText(ulong[] state) => string.Join(",", state.Select(s => s.ToString("x16", CultureInfo.InvariantCulture)));

    private static float Float(SafeTensorsReader reader, string key)
    {
        string? text = reader.Metadata.GetValueOrDefault(key);
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
            ? value
            : throw Fail(reader, key, $"expected a finite number, found \"{text ?? "(missing)"}\"");
    }

    private static ulong ULong(SafeTensorsReader reader, string key)
    {
        string? text = reader.Metadata.GetValueOrDefault(key);
        return text is not null && ModelFile.IsCanonicalWholeNumber(text) && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw Fail(reader, key, $"expected a whole number, found \"{(text is null ? "(missing)" : ModelFile.Printable(text))}\"");
    }

    private static ulong[] State(SafeTensorsReader reader, string key)
    {
        string? text = reader.Metadata.GetValueOrDefault(key);
        var parts = text?.Split(',') ?? [];
        var state = new ulong[parts.Length];
        bool ok = parts.Length == 4;
        for (int i = 0; ok && i < 4; i++)
        {
            ok = ulong.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out state[i]);
        }

        return ok && (state[0] | state[1] | state[2] | state[3]) != 0
            ? state
            : throw Fail(reader, key, $"expected four hex words, not all zero, found \"{text ?? "(missing)"}\"");
    }

    private static ModelFormatException Fail(SafeTensorsReader reader, string key, string problem) =>
        new(reader.Source, $"{SafeTensorsReader.MetadataKey}.{key}", problem);
}
