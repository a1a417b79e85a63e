using System.Globalization;
using EdgeLstm.Model;
using EdgeLstm.Quantization;

namespace EdgeLstm.IO;

/// <summary>
/// The model file: safetensors with PyTorch's <c>nn.LSTM</c> or <c>nn.GRU</c> and <c>nn.Linear</c> state_dict names (as
/// <see cref="LstmModel.Tensors"/> gives them), so <c>safetensors.torch.load_file</c> loads it into an equivalent
/// PyTorch module, and the architecture, a format version and training facts in <c>__metadata__</c>.
/// </summary>
/// <remarks>
/// Version 2 describes the network: <c>cells</c> (one cell per layer, e.g. <c>gru,gru</c>), <c>head</c> (what the
/// dense head predicts) and <c>outputs</c>, beside version 1's keys. A version-1 file is a stack of LSTMs with a
/// last-step classifier and loads as before. A model is written in the lowest version that describes it (see
/// <see cref="VersionFor"/>), so files of LSTM classifiers stay readable by version-1 readers (older EdgeLstm builds,
/// the PyTorch module until it learns version 2). Version 3 is a model with int8 weights (see <see cref="Int8ModelFile"/>).
/// </remarks>
/// <remarks>
/// Loading is strict (see <see cref="SafeTensorsReader"/>) and then checks the tensors against the architecture:
/// none missing, none extra, every shape right, every value finite. The model is allocated only after the tensors
/// present in the file have been found to add up to it, so a hostile header cannot make it allocate more than the
/// file holds. Files without EdgeLstm metadata (e.g. saved from PyTorch) are accepted when their shapes describe a model.
/// </remarks>
public static class ModelFile
{
    /// <summary>The highest format version this code reads and writes (3: int8 weights, see <see cref="Int8ModelFile"/>); files with a higher one are refused.</summary>
    public const int FormatVersion = 3;

    /// <summary>The value of <see cref="FormatKey"/> in EdgeLstm files.</summary>
    public const string FormatName = "edgelstm";

    /// <summary>Metadata key: the producing format's name.</summary>
    public const string FormatKey = "format";

    /// <summary>Metadata key: the format version.</summary>
    public const string FormatVersionKey = "format_version";

    /// <summary>Metadata key: "model" or "checkpoint".</summary>
    public const string KindKey = "kind";

    /// <summary>Architecture metadata keys, named as PyTorch's <c>nn.LSTM</c> arguments are.</summary>
    public const string InputSizeKey = "input_size", HiddenSizeKey = "hidden_size", LayersKey = "num_layers", ClassesKey = "num_classes", StepsKey = "steps";

    /// <summary>
    /// Metadata key: the training targets' mean per output, in the data's units (a JSON array of numbers, as the
    /// preprocessing lists are): the naive "training mean" forecast a regression is scored beside. A training fact,
    /// read and checked like the rest (see <see cref="LoadedModel.TrainingTargetMean"/>).
    /// </summary>
    public const string TrainingTargetMeanKey = "train.target_mean";

    /// <summary>Version-2 network metadata keys: the cell of each layer, the head's kind and its outputs.</summary>
    public const string CellsKey = "cells", HeadKey = "head", OutputsKey = "outputs";

    /// <summary>The value of <see cref="HeadKey"/> for each head, in <see cref="HeadKind"/> order.</summary>
    private static readonly string[] HeadNames = ["classify_last_step", "classify_every_step", "regress_last_step", "regress_every_step"];

    /// <summary>The value of <see cref="HeadKey"/> for <paramref name="head"/>, e.g. <c>classify_last_step</c>.</summary>
    public static string HeadName(HeadKind head) => HeadNames[(int)head];

    /// <summary>The format version a model of <paramref name="config"/> is written in: 1 for LSTM stacks with a last-step classifier, 2 otherwise.</summary>
    public static int VersionFor(LstmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Cell == CellKind.Lstm && config.Head == HeadKind.ClassifyLastStep ? 1 : 2;
    }

    /// <summary>Saves <paramref name="model"/> atomically, with <paramref name="facts"/> (e.g. training settings) in the metadata.</summary>
    public static void Save(LstmModel model, string path, IReadOnlyDictionary<string, string>? facts = null)
    {
        var writer = CreateWriter(model, "model", facts);
        AtomicFile.Write(path, writer.WriteTo);
    }

    /// <summary>The bytes of the model file, for callers that keep models in memory.</summary>
    public static byte[] ToBytes(LstmModel model, IReadOnlyDictionary<string, string>? facts = null)
    {
        using var stream = new MemoryStream();
        CreateWriter(model, "model", facts).WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>Loads a model (or the model inside a checkpoint) from a file.</summary>
    public static LoadedModel Load(string path)
    {
        using var reader = SafeTensorsReader.Open(path, SafeTensorsDTypes.F32 | SafeTensorsDTypes.I8);
        return Read(reader, allowCheckpoint: true);
    }

    /// <summary>Loads a model (or the model inside a checkpoint) from bytes; <paramref name="source"/> names them in messages.</summary>
    public static LoadedModel Load(ReadOnlyMemory<byte> content, string source = "(buffer)")
    {
        using var reader = SafeTensorsReader.Open(content, source, SafeTensorsDTypes.F32 | SafeTensorsDTypes.I8);
        return Read(reader, allowCheckpoint: true);
    }

    /// <summary>A writer holding the model's tensors and metadata; a checkpoint adds its own tensors and entries.</summary>
    internal static SafeTensorsWriter CreateWriter(LstmModel model, string kind, IReadOnlyDictionary<string, string>? facts)
    {
        ArgumentNullException.ThrowIfNull(model);
        var writer = new SafeTensorsWriter();
        if (facts is not null)
        {
            foreach (var (key, value) in facts)
            {
                writer.SetMetadata(key, value);
            }
        }

        var config = model.Config;
        writer.SetMetadata(FormatKey, FormatName);
        int version = model.Int8Weights is null ? VersionFor(config) : Int8ModelFile.Version;
        if (model.Int8Weights is not null && kind != "model")
        {
            throw new ArgumentException("An int8 model is not trained, so it has no checkpoint: quantize after training.", nameof(model));
        }

        // Preprocessing (data-cli): a file that carries it is version 2 or higher, see PreprocessingMetadata.
        version = model.Preprocessing is null ? version : Math.Max(version, PreprocessingMetadata.MinimumVersion);
        PreprocessingMetadata.Write(writer, model.Preprocessing);
        writer.SetMetadata(FormatVersionKey, version.ToString(CultureInfo.InvariantCulture));
        writer.SetMetadata(KindKey, kind);
        writer.SetMetadata(InputSizeKey, Text(config.InputSize));
        writer.SetMetadata(HiddenSizeKey, Text(config.HiddenSize));
        writer.SetMetadata(LayersKey, Text(config.Layers));
        writer.SetMetadata(ClassesKey, Text(config.Classes));
        writer.SetMetadata(StepsKey, Text(config.Steps));
        if (version >= 2)
        {
            writer.SetMetadata(CellsKey, string.Join(",", Enumerable.Repeat(config.RecurrentModule, config.Layers)));
            writer.SetMetadata(HeadKey, HeadName(config.Head));
            writer.SetMetadata(OutputsKey, Text(config.Classes));
        }

        writer.SetMetadata("gate_order", config.Cell == CellKind.Gru ? "r,z,n (as torch.nn.GRU)" : "i,f,g,o (as torch.nn.LSTM)");

        // Copy the weights now: the writer reads them later, and the caller may keep training meanwhile.
        float[] parameters = model.Parameters.ToArray();
        foreach (var tensor in model.Tensors)
        {
            if (model.Int8Weights is { } int8 && Int8Weights.IsQuantised(tensor.Shape))
            {
                Int8Tensors.Add(writer, tensor.Name, int8[tensor.Name]);
                continue;
            }

            writer.Add(tensor.Name, tensor.Shape, parameters.AsMemory(tensor.Offset, tensor.Length));
        }

        if (model.Int8Weights is not null)
        {
            Int8ModelFile.SetMetadata(writer);
        }

        return writer;
    }

    /// <summary>
    /// Reads the model's tensors after checking the architecture and the set of tensors; <paramref name="extraTensors"/>
    /// names the other tensors that must also be there (a checkpoint's moments), with the model tensor whose shape they share.
    /// </summary>
    internal static LoadedModel Read(SafeTensorsReader reader, bool allowCheckpoint, Func<ParameterTensor, IEnumerable<string>>? extraTensors = null)
    {
        var metadata = reader.Metadata;
        bool ours = metadata.GetValueOrDefault(FormatKey) == FormatName;

        // Read once: null for a file from elsewhere (read from its tensor names and shapes).
        int? version = null;
        if (ours)
        {
            version = Int(reader, FormatVersionKey, 1, int.MaxValue);
            if (version > FormatVersion)
            {
                throw new ModelFormatException(reader.Source, $"{SafeTensorsReader.MetadataKey}.{FormatVersionKey}", $"expected {FormatVersion} or lower, found {version} (written by a newer EdgeLstm; upgrade to read it)");
            }

            string kind = metadata.GetValueOrDefault(KindKey, string.Empty);
            if (kind != "model" && !(kind == "checkpoint" && allowCheckpoint))
            {
                throw new ModelFormatException(reader.Source, $"{SafeTensorsReader.MetadataKey}.{KindKey}", $"expected {(allowCheckpoint ? "\"model\" or \"checkpoint\"" : "\"checkpoint\"")}, found \"{kind}\"");
            }

            if (kind == "checkpoint" && extraTensors is null)
            {
                extraTensors = CheckpointFile.ExtraTensorNames(reader);
            }
        }

        bool int8 = Int8ModelFile.IsInt8(reader, version);
        var config = version is { } v ? ConfigFromMetadata(reader, v) : ConfigFromShapes(reader);
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(reader.Source, SafeTensorsReader.MetadataKey, $"expected a valid architecture, found: {e.Message}", e);
        }

        // Preprocessing (data-cli): checked against the architecture before anything of the model's size exists.
        var preprocessing = version is { } pv ? PreprocessingMetadata.Read(reader, config, pv) : null;
        var trainingTargetMean = version is not null && metadata.ContainsKey(TrainingTargetMeanKey)
            ? PreprocessingMetadata.Floats(reader, TrainingTargetMeanKey, config.Classes, positive: false, bareListAccepted: true)
            : null;

        // Check every expected tensor against the file before allocating anything of the model's size.
        var expected = ExpectedTensors(config);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
        {
            foreach (string n in new[] { name }.Concat(extraTensors?.Invoke(new ParameterTensor(name, shape, 0)) ?? []))
            {
                names.Add(n);
                var entry = reader.Find(n)
                    ?? throw new ModelFormatException(reader.Source, $"tensor {n}", $"expected it (shape [{string.Join(", ", shape)}] for this architecture), found it missing");
                if (!entry.Shape.SequenceEqual(shape.Select(d => (long)d)))
                {
                    throw new ModelFormatException(reader.Source, $"tensor {n}: shape", $"expected [{string.Join(", ", shape)}], found {entry.ShapeText}");
                }
            }
        }

        if (int8)
        {
            names.UnionWith(Int8ModelFile.ScaleNames(expected));
        }

        foreach (var entry in reader.Entries)
        {
            if (!names.Contains(entry.Name))
            {
                throw new ModelFormatException(reader.Source, $"tensor {entry.Name}", "expected no such tensor in this model, found it (extra tensor)");
            }
        }

        var model = LstmModel.CreateEmpty(config);
        foreach (var tensor in model.Tensors)
        {
            if (int8 && Int8Weights.IsQuantised(tensor.Shape))
            {
                continue; // read with its scales below
            }

            reader.ReadInto(reader.Find(tensor.Name)!, model.TensorData(tensor));
        }

        model.MarkParametersChanged();
        model.Preprocessing = preprocessing;
        if (int8)
        {
            Int8ModelFile.ReadWeights(reader, model);
        }

        return new LoadedModel(model, new Dictionary<string, string>(metadata, StringComparer.Ordinal)) { TrainingTargetMean = trainingTargetMean };
    }

    /// <summary>Name and shape of every tensor of the architecture, without allocating a model.</summary>
    internal static List<(string Name, int[] Shape)> ExpectedTensors(LstmConfig config)
    {
        var list = new List<(string, int[])>();
        int gates = config.Gates * config.HiddenSize;
        string module = config.RecurrentModule;
        for (int l = 0; l < config.Layers; l++)
        {
            list.Add(($"{module}.weight_ih_l{l}", [gates, config.LayerInputSize(l)]));
            list.Add(($"{module}.weight_hh_l{l}", [gates, config.HiddenSize]));
            list.Add(($"{module}.bias_ih_l{l}", [gates]));
            list.Add(($"{module}.bias_hh_l{l}", [gates]));
        }

        list.Add(("fc.weight", [config.Classes, config.HiddenSize]));
        list.Add(("fc.bias", [config.Classes]));
        return list;
    }

    internal static int Int(SafeTensorsReader reader, string key, int min, int max)
    {
        long value = Long(reader, key, min, max);
        return (int)value;
    }

    internal static long Long(SafeTensorsReader reader, string key, long min, long max)
    {
        string field = $"{SafeTensorsReader.MetadataKey}.{key}";
        if (!reader.Metadata.TryGetValue(key, out string? text))
        {
            throw new ModelFormatException(reader.Source, field, "expected it, found it missing");
        }

        return IsCanonicalWholeNumber(text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value >= min && value <= max
            ? value
            : throw new ModelFormatException(reader.Source, field, $"expected a whole number from {min} to {max} in plain decimal (no sign, no leading zero, nothing after it), found \"{Printable(text)}\"");
    }

    /// <summary>
    /// True for "0" or digits not starting with 0, as this code writes them. .NET's parser would also take "+1", "01",
    /// " 1" or "1\0" (it ignores trailing NULs): one value must have one spelling, so a file cannot carry a number that
    /// other readers see differently.
    /// </summary>
    internal static bool IsCanonicalWholeNumber(string text) =>
        text.Length is > 0 and <= 20 && text.All(char.IsAsciiDigit) && (text[0] != '0' || text.Length == 1);

    /// <summary><paramref name="text"/> for a message: at most 40 characters (the exception escapes control characters).</summary>
    internal static string Printable(string text) => text.Length > 40 ? text[..40] + "…" : text;

    internal static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A metadata list of numbers, as every such key holds one: a JSON array, each float written to round-trip exactly.</summary>
    public static string NumberList(IEnumerable<float> values) =>
        "[" + string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";

    private static LstmConfig ConfigFromMetadata(SafeTensorsReader reader, int version)
    {
        var config = new LstmConfig(
            Int(reader, InputSizeKey, 1, int.MaxValue),
            Int(reader, HiddenSizeKey, 1, int.MaxValue),
            Int(reader, LayersKey, 1, int.MaxValue),
            Int(reader, ClassesKey, 1, int.MaxValue),
            Int(reader, StepsKey, 1, int.MaxValue));
        if (version < 2)
        {
            return config;
        }

        var (cell, head) = NetworkFromMetadata(reader, config);
        return config with { Cell = cell, Head = head };
    }

    /// <summary>The version-2 network keys, checked against the version-1 ones: the cell of the (uniform) stack and the head.</summary>
    private static (CellKind Cell, HeadKind Head) NetworkFromMetadata(SafeTensorsReader reader, LstmConfig config)
    {
        string Field(string key) => $"{SafeTensorsReader.MetadataKey}.{key}";
        string cells = reader.Metadata.GetValueOrDefault(CellsKey)
            ?? throw new ModelFormatException(reader.Source, Field(CellsKey), "expected the cell of each layer (e.g. \"lstm,lstm\"), found it missing");
        string[] perLayer = cells.Split(',');
        if (perLayer.Length != config.Layers || perLayer.Any(c => c != perLayer[0]) || perLayer[0] is not ("lstm" or "gru"))
        {
            throw new ModelFormatException(reader.Source, Field(CellsKey), $"expected {config.Layers} cells, all \"lstm\" or all \"gru\", found \"{cells}\"");
        }

        string head = reader.Metadata.GetValueOrDefault(HeadKey, string.Empty);
        int headIndex = Array.IndexOf(HeadNames, head);
        if (headIndex < 0)
        {
            throw new ModelFormatException(reader.Source, Field(HeadKey), $"expected one of {string.Join(", ", HeadNames)}, found \"{head}\"");
        }

        if (Int(reader, OutputsKey, 1, int.MaxValue) != config.Classes)
        {
            throw new ModelFormatException(reader.Source, Field(OutputsKey), $"expected {config.Classes} (as {ClassesKey}), found \"{reader.Metadata[OutputsKey]}\"");
        }

        return (perLayer[0] == "gru" ? CellKind.Gru : CellKind.Lstm, (HeadKind)headIndex);
    }

    /// <summary>The architecture a foreign file's shapes describe: layers counted, sizes from layer 0 and the dense layer.</summary>
    private static LstmConfig ConfigFromShapes(SafeTensorsReader reader)
    {
        long[] Shape(string name, int rank)
        {
            var entry = reader.Find(name)
                ?? throw new ModelFormatException(reader.Source, $"tensor {name}", "expected it (the file has no EdgeLstm metadata, so the architecture is read from the shapes), found it missing");
            return entry.Shape.Length == rank && entry.Shape.All(d => d is > 0 and <= int.MaxValue)
                ? entry.Shape
                : throw new ModelFormatException(reader.Source, $"tensor {name}: shape", $"expected {rank} positive dimensions, found {entry.ShapeText}");
        }

        // nn.GRU's tensors are called gru.*; anything else is read as nn.LSTM's (and its absence reported as such).
        var cell = reader.Find("gru.weight_ih_l0") is not null && reader.Find("lstm.weight_ih_l0") is null ? CellKind.Gru : CellKind.Lstm;
        string module = cell == CellKind.Gru ? "gru" : "lstm";
        var ih = Shape($"{module}.weight_ih_l0", 2);
        var fc = Shape("fc.weight", 2);
        int layers = 0;
        while (layers < 64 && reader.Find($"{module}.weight_ih_l{layers}") is not null)
        {
            layers++;
        }

        int steps = reader.Metadata.ContainsKey(StepsKey) ? Int(reader, StepsKey, 1, int.MaxValue) : LstmConfig.Mnist.Steps;
        return new LstmConfig((int)ih[1], (int)fc[1], layers, (int)fc[0], steps) { Cell = cell };
    }
}
