using System.CommandLine;
using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Model;

namespace EdgeLstm.Cli.Sequences;

/// <summary>
/// Reads <c>--data FILE</c> (a long-format CSV, one time series with <c>--window</c>, or NumPy <c>.npy</c>/<c>.npz</c>)
/// with the library's readers: for training (split, statistics), and for a trained model (its columns, classes and
/// window).
/// </summary>
internal static class SequenceFile
{
    private static readonly string[] Extensions = [".csv", ".npy", ".npz"];

    /// <summary>True when <c>--data</c> names a sequence file rather than an MNIST directory.</summary>
    public static bool Is(string? path) =>
        path is not null && !Directory.Exists(path) && Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Reads the training data and splits it (by sequence, or in time order for a series).</summary>
    public static TrainingData LoadForTraining(string path, SequenceOptions options, ParseResult parsed, ulong seed)
    {
        double fraction = parsed.GetValue(options.Validation);
        if (parsed.GetValue(options.Window) is { } window)
        {
            var series = ReadSeries(path, options, parsed, features: null);
            int horizon = parsed.GetValue(options.Horizon) ?? 1;
            var spec = new ForecastSpec(window, horizon, [.. series.TargetFeatures], RelativeToLast: !parsed.GetValue(options.Absolute));
            var raw = spec with { RelativeToLast = false };
            ForecastWindows train, prepared;
            ForecastWindows? validation = null;
            if (fraction > 0)
            {
                (train, validation) = ForecastWindows.Split(series, raw, fraction, path);
                prepared = ForecastWindows.Split(series, spec, fraction, path).Train;
            }
            else
            {
                train = ForecastWindows.All(series, raw, path);
                prepared = ForecastWindows.All(series, spec, path);
            }

            string description = $"{path}: one series of {series.Length} steps × {series.FeatureCount} features ({string.Join(", ", series.FeatureNames)}), forecasting {string.Join(", ", spec.TargetFeatures.Select(t => series.FeatureNames[t]))} {horizon} step{(horizon == 1 ? string.Empty : "s")} ahead from windows of {window}";
            return new TrainingData(path, description, train, All(train.Count), validation, validation is null ? [] : All(validation.Count), prepared, spec, series);
        }

        if (parsed.GetResult(options.Horizon) is { Implicit: false } || parsed.GetValue(options.Absolute))
        {
            throw new UsageException("--horizon and --absolute need --window (they describe a forecast of one time series).");
        }

        var data = ReadDataset(path, options, parsed, features: null, task: TaskOption(options, parsed), requireTargets: true);
        int[] trainIndices, validationIndices;
        if (fraction > 0)
        {
            try
            {
                (trainIndices, validationIndices) = SequenceSplit.BySequence(data.Count, fraction, seed);
            }
            catch (ArgumentException e)
            {
                throw new DataFormatException(path, "validation", $"expected at least one training and one validation sequence, found {data.Count} sequences for --validation {fraction}: {e.Message}");
            }
        }
        else
        {
            (trainIndices, validationIndices) = (All(data.Count), []);
        }

        string what = $"{data.Count} sequences of {Lengths(data)} steps × {data.FeatureCount} features, {Describe(data)}";
        return new TrainingData(path, $"{path}: {what}", data, trainIndices, fraction > 0 ? data : null, validationIndices, data, null, null);
    }

    /// <summary>Reads data for a trained model: its feature columns, its task, its classes.</summary>
    public static ModelData LoadForModel(string path, SequenceOptions options, ParseResult parsed, LstmModel model, bool requireTargets, double validationFraction)
    {
        var config = model.Config;
        var preprocessing = model.Preprocessing;
        var features = SequenceOptions.Columns(parsed.GetValue(options.Features), "--features")
            ?? preprocessing?.FeatureNames?.Select(ColumnRef.ByName).ToArray();
        if (preprocessing?.Forecast is { } forecast)
        {
            var series = LoadSeriesForModel(path, options, parsed, model);
            var raw = forecast with { RelativeToLast = false };
            var windows = validationFraction > 0 ? ForecastWindows.Split(series, raw, validationFraction, path).Validation : ForecastWindows.All(series, raw, path);
            return new ModelData(path, windows, All(windows.Count), series, null);
        }

        var task = config.HeadRegresses ? SequenceTask.Regress : SequenceTask.Classify;
        var data = ReadDataset(path, options, parsed, features, task, requireTargets);
        CheckFeatures(path, data.FeatureCount, config);
        int[]? classMap = null;
        if (data.TargetKind is SequenceTargetKind.SequenceClass or SequenceTargetKind.StepClass)
        {
            classMap = ClassMap(path, data, preprocessing?.ClassNames, config.Classes);
            if ((data.TargetKind == SequenceTargetKind.StepClass) != config.HeadReadsEveryStep)
            {
                throw new CliException($"{path}: the model classifies {(config.HeadReadsEveryStep ? "every step" : "whole sequences")}, but this file's target is per {(data.TargetKind == SequenceTargetKind.StepClass ? "step" : "sequence")}.");
            }
        }
        else if (data.TargetKind != SequenceTargetKind.None)
        {
            if (data.TargetWidth != config.Classes || (data.TargetKind == SequenceTargetKind.StepValues) != config.HeadReadsEveryStep)
            {
                throw new CliException($"{path}: the model regresses {config.Classes} value(s) {(config.HeadReadsEveryStep ? "per step" : "per sequence")}; this file's target is {data.TargetWidth} value(s) per {(data.TargetKind == SequenceTargetKind.StepValues ? "step" : "sequence")}.");
            }
        }

        return new ModelData(path, data, All(data.Count), null, classMap);
    }

    /// <summary>
    /// Reads one time series for a forecaster: the model's feature and target columns (unless --features or --target
    /// choose others), checked against what the model reads and forecasts. Any length: windows are built by the caller,
    /// as many as it needs (prediction needs only the last window, scoring needs the horizon after each).
    /// </summary>
    public static TimeSeries LoadSeriesForModel(string path, SequenceOptions options, ParseResult parsed, LstmModel model)
    {
        var preprocessing = model.Preprocessing;
        var forecast = preprocessing?.Forecast ?? throw new ArgumentException("The model is not a forecaster.", nameof(model));
        var features = SequenceOptions.Columns(parsed.GetValue(options.Features), "--features")
            ?? preprocessing.FeatureNames?.Select(ColumnRef.ByName).ToArray();
        var series = ReadSeries(path, options, parsed, features, preprocessing.FeatureNames is { } names && parsed.GetValue(options.Target) is null
            ? forecast.TargetFeatures.Select(t => ColumnRef.ByName(names[t])).ToArray()
            : null);
        CheckFeatures(path, series.FeatureCount, model.Config);
        if (!series.TargetFeatures.SequenceEqual(forecast.TargetFeatures))
        {
            throw new CliException($"{path}: the model forecasts features {string.Join(", ", forecast.TargetFeatures)} of its inputs; this file's targets are {string.Join(", ", series.TargetFeatures)} (use --features and --target as in training).");
        }

        return series;
    }

    /// <summary>The model's output class of each of the file's classes: by name when both have names, else the number itself.</summary>
    private static int[] ClassMap(string path, SequenceDataset data, IReadOnlyList<string>? modelNames, int modelClasses)
    {
        var map = new int[data.ClassCount];
        for (int c = 0; c < map.Length; c++)
        {
            if (data.ClassNames is { } names && modelNames is not null)
            {
                map[c] = modelNames.ToList().IndexOf(names[c]);
                if (map[c] < 0)
                {
                    throw new CliException($"{path}: class \"{names[c]}\" is not one of the model's classes ({string.Join(", ", modelNames.Take(20))}).");
                }
            }
            else if (data.ClassNames is { } unnamed && modelNames is null)
            {
                throw new CliException($"{path}: the classes are names (\"{unnamed[0]}\", …) but the model's classes are numbers 0 to {modelClasses - 1}.");
            }
            else
            {
                map[c] = c < modelClasses ? c : throw new CliException($"{path}: class {c} is past the model's {modelClasses} classes.");
            }
        }

        return map;
    }

    private static void CheckFeatures(string path, int features, LstmConfig config)
    {
        if (features != config.InputSize)
        {
            throw new CliException($"{path}: the model reads {config.InputSize} features per step; this file gives {features} (choose them with --features).");
        }
    }

    private static TimeSeries ReadSeries(string path, SequenceOptions options, ParseResult parsed, IReadOnlyList<ColumnRef>? features, IReadOnlyList<ColumnRef>? targets = null)
    {
        if (!path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"--window reads one time series from a .csv file; {path} is not one.");
        }

        return TimeSeriesCsvReader.Read(path, new TimeSeriesCsvOptions
        {
            Features = SequenceOptions.Columns(parsed.GetValue(options.Features), "--features") ?? features,
            Targets = SequenceOptions.Columns(parsed.GetValue(options.Target), "--target") ?? targets,
            Missing = SequenceOptions.MissingPolicy(parsed.GetValue(options.Missing)!),
        });
    }

    private static SequenceDataset ReadDataset(string path, SequenceOptions options, ParseResult parsed, IReadOnlyList<ColumnRef>? features, SequenceTask task, bool requireTargets)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        string? target = parsed.GetValue(options.Target);
        SequenceDataset data;
        if (extension == ".csv")
        {
            if (target is null && requireTargets)
            {
                throw new UsageException($"{path}: name the target column with --target (a class per sequence or per step, or numbers); for a single time series give --window.");
            }

            data = CsvSequenceReader.Read(path, new CsvSequenceOptions
            {
                Id = parsed.GetValue(options.Id) is { } id ? ColumnRef.Parse(id) : ColumnRef.ByIndex(0),
                Time = parsed.GetValue(options.Time) is { } time ? ColumnRef.Parse(time) : null,
                Features = SequenceOptions.Columns(parsed.GetValue(options.Features), "--features") ?? features,
                Targets = SequenceOptions.Columns(target, "--target") ?? [],
                Task = target is null ? SequenceTask.Auto : task,
                Missing = SequenceOptions.MissingPolicy(parsed.GetValue(options.Missing)!),
            });
        }
        else
        {
            foreach (var option in new Option[] { options.Id, options.Time, options.Features }.Where(o => parsed.GetResult(o) is { Implicit: false }))
            {
                throw new UsageException($"{option.Name} chooses CSV columns; NumPy data has none (X is [N, T, F]).");
            }

            data = extension == ".npz"
                ? NumpySequenceReader.ReadNpz(path)
                : NumpySequenceReader.ReadNpy(path, Resolve(options, target), Resolve(options, parsed.GetValue(options.Lengths)));
            if (requireTargets && data.TargetKind == SequenceTargetKind.None)
            {
                throw new DataFormatException(path, "y", extension == ".npz" ? "expected a member y.npy with the targets, found none" : "expected the targets: give the y file with --target FILE.npy");
            }
        }

        if (task == SequenceTask.Classify && data.TargetKind is SequenceTargetKind.SequenceValues or SequenceTargetKind.StepValues)
        {
            throw new DataFormatException(path, "y", "expected class labels (integers) for a classifier, found values (floats)");
        }

        if (task == SequenceTask.Regress && data.TargetKind is SequenceTargetKind.SequenceClass or SequenceTargetKind.StepClass)
        {
            throw new DataFormatException(path, "y", "expected values (floats) for a regression, found class labels (integers)");
        }

        return data;
    }

    /// <summary>A companion .npy file named on the command line, made absolute as the command resolves its paths.</summary>
    private static string? Resolve(SequenceOptions options, string? file) => file is null ? null : options.Resolve(file);

    private static SequenceTask TaskOption(SequenceOptions options, ParseResult parsed) => SequenceOptions.TaskOf(parsed.GetValue(options.Task));

    private static string Lengths(SequenceDataset data)
    {
        int min = int.MaxValue;
        for (int i = 0; i < data.Count; i++)
        {
            min = Math.Min(min, data.Length(i));
        }

        return min == data.MaxLength ? $"{min}" : $"{min}–{data.MaxLength}";
    }

    private static string Describe(ISequenceSource data) => data.TargetKind switch
    {
        SequenceTargetKind.SequenceClass => $"a class per sequence ({data.ClassCount} classes{Names(data)})",
        SequenceTargetKind.StepClass => $"a class per step ({data.ClassCount} classes{Names(data)})",
        SequenceTargetKind.SequenceValues => $"{data.TargetWidth} value(s) per sequence",
        SequenceTargetKind.StepValues => $"{data.TargetWidth} value(s) per step",
        _ => "no targets",
    };

    private static string Names(ISequenceSource data) => data.ClassNames is { } names ? ": " + string.Join(", ", names.Take(10)) + (names.Count > 10 ? ", …" : string.Empty) : string.Empty;

    private static int[] All(int count) => [.. Enumerable.Range(0, count)];
}

/// <summary>
/// Training data as read and split: the raw sources batches are gathered from (the model's preprocessing turns them
/// into network inputs), and <see cref="Prepared"/>, the training part as the network sees it before normalisation
/// (windows relative to their last value), which the statistics are computed on.
/// </summary>
internal sealed record TrainingData(
    string Path,
    string Description,
    ISequenceSource Train,
    int[] TrainIndices,
    ISequenceSource? Validation,
    int[] ValidationIndices,
    ISequenceSource Prepared,
    ForecastSpec? Forecast,
    TimeSeries? Series);

/// <summary>Data read for a trained model: the source, the indices to run, the series (forecasting) and the class map (file class → model class).</summary>
internal sealed record ModelData(string Path, ISequenceSource Source, int[] Indices, TimeSeries? Series, int[]? ClassMap);
