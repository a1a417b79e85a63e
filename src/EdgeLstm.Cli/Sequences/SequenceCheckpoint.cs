using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeLstm.Data;
using EdgeLstm.IO;
using EdgeLstm.Training;

namespace EdgeLstm.Cli.Sequences;

/// <summary>Where a sequence-file run's epoch loop stands: what its next lines and its early stop are computed from.</summary>
internal sealed record SequenceProgress(double LossSum, long LossCount, long Epoch, double BestLoss, long BestEpoch, long Stale)
{
    public static readonly SequenceProgress Start = new(0, 0, 0, double.PositiveInfinity, 0, 0);
}

/// <summary>
/// What a checkpoint of <c>train --data FILE</c> keeps beside the trainer's state (<see cref="TrainingCheckpoint.RunFacts"/>),
/// and the checks a resume makes with it. The data are not in the checkpoint: a resume reads them again with the same
/// options, and a fingerprint of what that reading gives (the training sequences as the trainer sees them, the split,
/// the forecast) must be the checkpoint's, or the batches, the statistics and so the run would not be the same.
/// </summary>
internal static class SequenceCheckpoint
{
    private const string P = CheckpointFile.RunFactPrefix;
    private const string KindKey = P + "kind", Kind = "sequence-file";
    private const string DataKey = P + "data", FingerprintKey = P + "data_md5", OptionsKey = P + "data_options";
    private const string NormalizeKey = P + "normalize", BatchesKey = P + "batches", ValidationKey = P + "validation", EarlyStopKey = P + "early_stop";
    private const string LossSumKey = P + "epoch_loss_sum", LossCountKey = P + "epoch_loss_count", EpochKey = P + "epochs_reported";
    private const string BestLossKey = P + "best_loss", BestEpochKey = P + "best_epoch", StaleKey = P + "stale_epochs";

    /// <summary>True when <paramref name="checkpoint"/> was written by training on a sequence file.</summary>
    public static bool IsSequence(TrainingCheckpoint checkpoint) => checkpoint.RunFacts.GetValueOrDefault(KindKey) == Kind;

    /// <summary>
    /// MD5 of the training data as the trainer reads it (each training sequence in split order, padded to
    /// <paramref name="steps"/>, with its length and targets), the validation split and the forecast: equal exactly when a
    /// run on them would be the same run. Our own MD5 (as for the data sets), not the framework's hashes: those call
    /// OpenSSL on Linux, which the single-file binary must not need (an arm64 board without libssl aborted here).
    /// </summary>
    public static string Fingerprint(TrainingData data, int steps)
    {
        var hash = new Md5.Incremental();
        Add(hash, data.Train, data.TrainIndices, steps);
        if (data.Validation is { } validation)
        {
            Add(hash, validation, data.ValidationIndices, steps);
        }

        if (data.Forecast is { } f)
        {
            hash.Append(Encoding.UTF8.GetBytes(Invariant($"forecast {f.Window} {f.Horizon} {string.Join(",", f.TargetFeatures)} {f.RelativeToLast}")));
        }

        return hash.HashHex();
    }

    /// <summary>The data options as given, for the "continue with" line and for the message when a resume's data differ.</summary>
    public static string DataOptions(ParseResult parsed, SequenceOptions sequence)
    {
        var text = new StringBuilder();
        foreach (var option in sequence.All)
        {
            if (parsed.GetResult(option) is { Implicit: false } given)
            {
                text.Append(' ').Append(option.Name);
                foreach (var token in given.Tokens)
                {
                    text.Append(' ').Append(Quote(token.Value));
                }
            }
        }

        return text.ToString();
    }

    /// <summary>A word as a POSIX shell reads it back: bare when it is plain, else in single quotes.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./,:=+@%".Contains(c, StringComparison.Ordinal))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The facts that go into the checkpoint of this run at <paramref name="progress"/>.</summary>
    public static Dictionary<string, string> Facts(string dataPath, string fingerprint, string dataOptions, ParseResult parsed, SequenceOptions sequence, SequenceProgress progress) => new(StringComparer.Ordinal)
    {
        [KindKey] = Kind,
        [DataKey] = dataPath,
        [FingerprintKey] = fingerprint,
        [OptionsKey] = dataOptions.TrimStart(),
        [NormalizeKey] = parsed.GetValue(sequence.Normalize)!,
        [BatchesKey] = parsed.GetValue(sequence.Batches)!,
        [ValidationKey] = parsed.GetValue(sequence.Validation).ToString("R", CultureInfo.InvariantCulture),
        [EarlyStopKey] = Whole(parsed.GetValue(sequence.EarlyStop)),

        // Doubles as their bits: the next epoch line and the early stop continue from exactly these.
        [LossSumKey] = Bits(progress.LossSum),
        [LossCountKey] = Whole(progress.LossCount),
        [EpochKey] = Whole(progress.Epoch),
        [BestLossKey] = Bits(progress.BestLoss),
        [BestEpochKey] = Whole(progress.BestEpoch),
        [StaleKey] = Whole(progress.Stale),
    };

    /// <summary>
    /// Refuses, before the data are read, a checkpoint that is not one of a sequence-file run or whose run cannot be
    /// continued with the options of this command line.
    /// </summary>
    public static void CheckOptions(TrainingCheckpoint checkpoint, string path, ParseResult parsed, SequenceOptions sequence)
    {
        if (!IsSequence(checkpoint))
        {
            throw new CliException($"--resume {path}: this checkpoint is of a run on MNIST images, not on a sequence file: resume it with the images' --data (or none, for the bundled set).");
        }

        // Early stopping continues from the best weights so far, which its checkpoints keep once an epoch has validated.
        var progress = Progress(checkpoint, path);
        if (Number(checkpoint, path, EarlyStopKey, 1_000_000) > 0 && progress.BestEpoch > 0 && checkpoint.BestParameters is null)
        {
            throw new CliException($"--resume {path}: the run stops early and has a best epoch ({progress.BestEpoch}), but the checkpoint does not keep its weights (written by an earlier EdgeLstm): it cannot be continued exactly. Evaluate its weights (edgelstm evaluate {path}) or train again.");
        }

        Same(checkpoint, path, "--normalize", NormalizeKey, parsed.GetValue(sequence.Normalize)!);
        Same(checkpoint, path, "--batches", BatchesKey, parsed.GetValue(sequence.Batches)!);
        Same(checkpoint, path, "--validation", ValidationKey, parsed.GetValue(sequence.Validation).ToString("R", CultureInfo.InvariantCulture));
        Same(checkpoint, path, "--early-stop", EarlyStopKey, Whole(parsed.GetValue(sequence.EarlyStop)));
    }

    /// <summary>Refuses data that are not the checkpoint's run's, naming what the checkpoint was trained on.</summary>
    public static void CheckData(TrainingCheckpoint checkpoint, string path, string fingerprint, string dataPath, int trainingSequences)
    {
        if (Fact(checkpoint, path, FingerprintKey) == fingerprint && checkpoint.TrainingExamples == trainingSequences)
        {
            return;
        }

        string options = checkpoint.RunFacts.GetValueOrDefault(OptionsKey, string.Empty);
        throw new CliException($"--resume {path}: the checkpoint was trained on other data: {Fact(checkpoint, path, DataKey)}{(options.Length == 0 ? string.Empty : " read with " + options)} ({checkpoint.TrainingExamples} training sequences, MD5 of the data as trained on {checkpoint.RunFacts[FingerprintKey][..16]}…), where --data {dataPath} with these options gives {trainingSequences} training sequences and {fingerprint[..16]}…: the batches and the statistics would not be the same. Resume with the run's own data and data options.");
    }

    /// <summary>Where the epoch loop of the checkpoint's run stood.</summary>
    public static SequenceProgress Progress(TrainingCheckpoint checkpoint, string path)
    {
        long epoch = Number(checkpoint, path, EpochKey, long.MaxValue);
        long lossCount = Number(checkpoint, path, LossCountKey, checkpoint.Cursor.Iteration);
        double lossSum = Double(checkpoint, path, LossSumKey);
        double bestLoss = Double(checkpoint, path, BestLossKey);
        if (!double.IsFinite(lossSum) || double.IsNaN(bestLoss))
        {
            throw Fail(path, LossSumKey, Invariant($"a finite loss sum and a best loss that is a number, found {lossSum} and {bestLoss}"));
        }

        return new SequenceProgress(lossSum, lossCount, epoch, bestLoss, Number(checkpoint, path, BestEpochKey, epoch), Number(checkpoint, path, StaleKey, epoch));
    }

    private static void Add(Md5.Incremental hash, Data.Sequences.ISequenceSource source, int[] indices, int steps)
    {
        var batch = new SequenceBatch(source, 1, steps);
        Span<int> one = stackalloc int[1];
        hash.Append(Encoding.UTF8.GetBytes(Invariant($"{source.TargetKind} {source.FeatureCount} {indices.Length};")));
        foreach (int index in indices)
        {
            one[0] = index;
            batch.Gather(one);
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(batch.Inputs));
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(batch.Lengths));
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(batch.Classes));
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(batch.Values));
        }
    }

    private static void Same(TrainingCheckpoint checkpoint, string path, string option, string key, string given)
    {
        string saved = Fact(checkpoint, path, key);
        if (saved != given)
        {
            throw new UsageException($"{option} cannot be changed with --resume: the run used {option} {saved}, this command line gives {given}. Give the run's data options again: {checkpoint.RunFacts.GetValueOrDefault(OptionsKey, string.Empty)}");
        }
    }

    private static string Fact(TrainingCheckpoint checkpoint, string path, string key) =>
        checkpoint.RunFacts.GetValueOrDefault(key) ?? throw Fail(path, key, "it, found it missing");

    private static long Number(TrainingCheckpoint checkpoint, string path, string key, long max)
    {
        string text = Fact(checkpoint, path, key);
        // Plain decimal only, as the model file's own numbers: no sign, no leading zero, nothing after it.
        bool plain = text.Length is > 0 and <= 19 && text.All(char.IsAsciiDigit) && (text == "0" || text[0] != '0');
        return plain && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value <= max
            ? value
            : throw Fail(path, key, Invariant($"a whole number from 0 to {max}, found \"{Printable(text)}\""));
    }

    private static double Double(TrainingCheckpoint checkpoint, string path, string key)
    {
        string text = Fact(checkpoint, path, key);
        return text.Length == 16 && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong bits)
            ? BitConverter.UInt64BitsToDouble(bits)
            : throw Fail(path, key, $"16 hex digits (a double's bits), found \"{Printable(text)}\"");
    }

    private static string Printable(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private static string Bits(double value) => BitConverter.DoubleToUInt64Bits(value).ToString("x16", CultureInfo.InvariantCulture);

    private static string Whole(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static ModelFormatException Fail(string path, string key, string expected) =>
        new(path, $"{SafeTensorsReader.MetadataKey}.{key}", "expected " + expected);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
