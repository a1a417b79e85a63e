using System.Globalization;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Cli;

/// <summary>
/// The ranges <c>edgelstm train</c> accepts, in one place: its options are built from them, and a checkpoint given to
/// <c>--resume</c> or a model given to <c>--init</c> is held to the same rules, since a file can say anything.
/// </summary>
internal static class TrainingRules
{
    /// <summary>Above 1 Adam's steps are as large as the weights themselves: the run diverges within a few iterations.</summary>
    public const float MaxLearningRate = 1f;

    /// <summary>Dropout scales what it keeps by 1/keep; below 1 in 100 that scale, not the data, drives training.</summary>
    public const float MinKeepProbability = 0.01f;

    /// <summary>A clip norm above this never clips anything a finite run produces; 0 turns clipping off.</summary>
    public const float MaxClipNorm = 1e6f;

    /// <summary>Refuses a model with int8 weights as a starting point: training is fp32, and quantizing comes after it.</summary>
    public static void CheckTrainable(LstmModel model, string path)
    {
        if (model.Int8Weights is not null)
        {
            throw new CliException($"--init {path}: the model has int8 weights; training is fp32 only. Start from the fp32 model it was quantized from, and run 'edgelstm quantize' after training.");
        }
    }

    /// <summary>
    /// Refuses an architecture past <see cref="ModelLimits"/>, before anything is allocated. <paramref name="source"/>
    /// names where it came from (the options or a file) and starts the message.
    /// </summary>
    public static void CheckArchitecture(LstmConfig config, string source, bool fromOptions)
    {
        string? problem = config switch
        {
            { HiddenSize: < 1 or > ModelLimits.MaxHiddenSize } => $"hidden size {config.HiddenSize}: the most is {ModelLimits.MaxHiddenSize}",
            { Layers: < 1 or > ModelLimits.MaxLayers } => $"{config.Layers} layers: the most is {ModelLimits.MaxLayers}",
            { Classes: < 1 or > ModelLimits.MaxClasses } => $"{config.Classes} classes: the most is {ModelLimits.MaxClasses}",
            { InputSize: < 1 or > ModelLimits.MaxInputSize } => $"{config.InputSize} inputs per step: the most is {ModelLimits.MaxInputSize}",
            _ when RecipeSettings.ParameterCount(config) is var n && n > ModelLimits.MaxParameters =>
                Invariant($"{config.Layers} layers × {config.HiddenSize} would have {n:N0} parameters; the most is {ModelLimits.MaxParameters:N0} (1 GiB of weights; training keeps four copies)"),
            _ => null,
        };
        if (problem is not null)
        {
            throw fromOptions ? new UsageException($"{source}: {problem}.") : new CliException($"{source}: {problem}.");
        }
    }

    /// <summary>
    /// Refuses a batch whose training buffers would not fit: one layer's gate buffer (batch × steps × gates·hidden floats)
    /// past an int's range, or all buffers together past the memory this process may use. Checked before the first
    /// allocation, because Linux hands out memory it does not have and the kernel's OOM killer ends the process later.
    /// </summary>
    public static void CheckMemory(RecipeSettings settings, long availableBytes)
    {
        var config = settings.Model;
        long gateFloats = (long)settings.BatchSize * config.Steps * config.Gates * config.HiddenSize;
        if (gateFloats > int.MaxValue)
        {
            throw new UsageException(Invariant($"--batch-size {settings.BatchSize} with {config.Steps} steps × {config.HiddenSize} hidden: one layer's gates would be {gateFloats:N0} floats, more than one buffer can hold ({int.MaxValue:N0}); use a smaller --batch-size."));
        }

        long bytes = TrainingBytes(settings);
        if (bytes > availableBytes)
        {
            throw new CliException(Invariant($"training {config.Layers} layers × {config.HiddenSize} on batches of {settings.BatchSize} needs about {bytes / (double)(1L << 30):0.#} GiB of memory; this process may use {availableBytes / (double)(1L << 30):0.#} GiB. Use a smaller --batch-size."));
        }
    }

    /// <summary>
    /// What a training run of <paramref name="settings"/> holds, in bytes: the library's own count of what its trainer
    /// allocates (<see cref="LstmTrainer.MemoryBytes"/>), for the run's batch size and the model's steps.
    /// </summary>
    internal static long TrainingBytes(RecipeSettings settings)
        => LstmTrainer.MemoryBytes(settings.Model, settings.BatchSize, settings.Model.Steps);

    /// <summary>
    /// Holds a loaded checkpoint to the rules of the options it stands in for, and its optimiser state to what Adam can
    /// produce; throws <see cref="ModelFormatException"/> naming the file and the field.
    /// </summary>
    public static void CheckCheckpoint(TrainingCheckpoint checkpoint, string path)
    {
        var s = checkpoint.Settings;
        CheckArchitecture(s.Model, path, fromOptions: false);
        Require(path, "train.learning_rate", s.LearningRate, s.LearningRate is > 0 and <= MaxLearningRate, $"above 0 and at most {MaxLearningRate} (the range of --lr)");
        if (s.FinalLearningRate is { } final)
        {
            Require(path, "train.final_learning_rate", final, final > 0 && final <= s.LearningRate, "above 0 and at most train.learning_rate (the range of --lr-final)");
        }

        Require(path, "train.keep_prob", s.KeepProbability, s.KeepProbability is >= MinKeepProbability and <= 1, $"from {MinKeepProbability} to 1 (the range of --keep-prob)");
        Require(path, "train.clip_norm", s.GradientClipNorm, s.GradientClipNorm is >= 0 and <= MaxClipNorm, $"0 (off) to {MaxClipNorm:G} (the range of --clip-norm)");
        if (s.BatchSize > ModelLimits.MaxBatchSize)
        {
            throw Fail(path, "train.batch_size", $"expected at most {ModelLimits.MaxBatchSize} (the range of --batch-size), found {s.BatchSize}");
        }

        // Adam takes one step per iteration: a larger step count did not come from a run, and its next step overflows.
        if (checkpoint.AdamStep > checkpoint.Cursor.Iteration)
        {
            throw Fail(path, "adam.step", Invariant($"expected at most train.iterations_done ({checkpoint.Cursor.Iteration}), one step per iteration; found {checkpoint.AdamStep}"));
        }

        foreach (var tensor in checkpoint.Model.Tensors)
        {
            CheckMoment(path, "adam.m." + tensor.Name, checkpoint.FirstMoment.AsSpan(tensor.Offset, tensor.Length), mustBeNonNegative: false);
            CheckMoment(path, "adam.v." + tensor.Name, checkpoint.SecondMoment.AsSpan(tensor.Offset, tensor.Length), mustBeNonNegative: true);
        }
    }

    private static void CheckMoment(string path, string name, ReadOnlySpan<float> values, bool mustBeNonNegative)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float value = values[i];
            if (!float.IsFinite(value) || (mustBeNonNegative && value < 0))
            {
                string expected = mustBeNonNegative ? "finite values of at least 0 (a mean of squares)" : "finite values";
                throw new ModelFormatException(path, "tensor " + name, Invariant($"expected {expected}, found {value} at element {i}"));
            }
        }
    }

    private static void Require(string path, string key, float value, bool ok, string expected)
    {
        if (!ok)
        {
            throw Fail(path, key, Invariant($"expected {expected}, found {value:R}"));
        }
    }

    private static ModelFormatException Fail(string path, string key, string problem) => new(path, "__metadata__." + key, problem);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
