using System.CommandLine;
using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Cli.Sequences;

/// <summary>
/// The options that say how to read a sequence file (<c>--data FILE.csv|.npy|.npz</c>) for <c>train</c>,
/// <c>evaluate</c> and <c>predict</c>; the training-only ones (window, validation, early stop) are added to
/// <c>train</c> alone. One instance per command.
/// </summary>
internal sealed class SequenceOptions
{
    private readonly bool _evaluating;

    private SequenceOptions(bool training, bool evaluating = false)
    {
        Training = training;
        _evaluating = evaluating;
        Id = new("--id") { Description = "Long-format CSV: the sequence-id column (a header name or a 0-based index). Default: the first column.", HelpName = "COLUMN" };
        Time = new("--time") { Description = "Long-format CSV: the column that orders the steps of a sequence (numbers or ISO dates). Default: file order.", HelpName = "COLUMN" };
        Features = new("--features") { Description = "The feature columns, comma-separated names or indices. Default: every column but the id, time and target (a time series: every column but the date); for evaluate and predict, the model's own.", HelpName = "COLUMNS" };
        Target = new("--target") { Description = "The target column (name or index): a class per sequence or per step, or numbers; a time series: the column(s) forecast, comma-separated (default all). For .npy data: the y file.", HelpName = "COLUMN" };
        Lengths = CommonOptions.Path("--lengths", "For .npy data: a file of sequence lengths [N] (the steps after each length are padding).", "FILE");
        Task = new("--task") { Description = "classify or regress, where the target leaves it open (whole numbers could be either).", HelpName = "classify|regress" };
        Task.AcceptOnlyFromAmong("classify", "regress");
        Missing = new("--missing") { Description = "An empty field: error (names the file, line and column), drop (the row), or ffill (the step before in the same sequence).", DefaultValueFactory = _ => "error", HelpName = "error|drop|ffill" };
        Missing.AcceptOnlyFromAmong("error", "drop", "ffill");
        Window = Positive("--window", "One time series → forecasting: the model reads the last W steps (the file is read as one series; a date column is recognised and left out of the features).", "W");
        Horizon = Positive("--horizon", "With --window: forecast the next H values of each target (default 1).", "H");
        Absolute = new("--absolute") { Description = "Forecast absolute (standardised) values instead of the change from the window's last value. Not recommended for a trending series: see above." };
        Validation = new("--validation")
        {
            Description = evaluating
                ? "For a time series: score the windows that forecast its last FRACTION of steps (the span train held out with the same fraction); 0 = every window. Default 0.2."
                : "Fraction of the data held out for validation, by whole sequences (seeded); a time series is split in time order, the last FRACTION of its steps. 0 = none. Default 0.2.",
            DefaultValueFactory = _ => 0.2,
            HelpName = "FRACTION",
        };
        Validation.Validators.Add(r =>
        {
            if (CommonOptions.TryGetValue(r, out double value) && value is not (>= 0 and < 1))
            {
                r.AddError("--validation must be at least 0 and below 1.");
            }
        });
        Normalize = new("--normalize") { Description = "standard: scale each input feature by the training split's mean and standard deviation (stored in the model); none: feed the values as the file holds them (e.g. pixels already scaled to 0..1, as the MNIST recipe feeds them).", DefaultValueFactory = _ => "standard", HelpName = "standard|none" };
        Normalize.AcceptOnlyFromAmong("standard", "none");
        Batches = new("--batches") { Description = $"{BatchOrder.Epochs}: each epoch in a fresh order, its last batch shorter, a validation line after each; {BatchOrder.Recipe}: the MNIST recipe's batches (full batches going round the training set, shuffled and seeded as the recipe does), so the recipe's images as a CSV train exactly what the recipe trains.", DefaultValueFactory = _ => BatchOrder.Epochs, HelpName = "epochs|recipe" };
        Batches.AcceptOnlyFromAmong(BatchOrder.Epochs, BatchOrder.Recipe);
        EarlyStop = CommonOptions.Int("--early-stop", "Stop when the validation score has not improved for N epochs and keep the best epoch's model; 0 = train every epoch and keep the last.", 0, 0, 1_000_000);
    }

    public bool Training { get; }

    /// <summary>Makes a path from the command line absolute (the command's <see cref="CliContext.Resolve"/>).</summary>
    public Func<string, string> Resolve { get; init; } = Path.GetFullPath;

    public Option<string?> Id { get; }

    public Option<string?> Time { get; }

    public Option<string?> Features { get; }

    public Option<string?> Target { get; }

    public Option<string?> Lengths { get; }

    public Option<string?> Task { get; }

    public Option<string> Missing { get; }

    public Option<int?> Window { get; }

    public Option<int?> Horizon { get; }

    public Option<bool> Absolute { get; }

    public Option<double> Validation { get; }

    public Option<int> EarlyStop { get; }

    public Option<string> Normalize { get; }

    public Option<string> Batches { get; }

    /// <summary>The options of <c>train</c>.</summary>
    public static SequenceOptions ForTraining(CliContext context) => new(training: true) { Resolve = context.Resolve };

    /// <summary>The options of <c>evaluate</c> (with <paramref name="evaluating"/>: the span of a series to score) and <c>predict</c>; the window comes from the model.</summary>
    public static SequenceOptions ForModel(CliContext context, bool evaluating) => new(training: false, evaluating) { Resolve = context.Resolve };

    /// <summary>The options of this command: every one of them is for a sequence file only.</summary>
    public IReadOnlyList<Option> All => Training
        ? [Id, Time, Features, Target, Lengths, Task, Missing, Window, Horizon, Absolute, Validation, EarlyStop, Normalize, Batches]
        : _evaluating ? [Id, Time, Features, Target, Lengths, Task, Missing, Validation] : [Id, Time, Features, Target, Lengths, Task, Missing];

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    public static MissingValuePolicy MissingPolicy(string text) => text switch
    {
        "drop" => MissingValuePolicy.Drop,
        "ffill" => MissingValuePolicy.ForwardFill,
        _ => MissingValuePolicy.Error,
    };

    public static SequenceTask TaskOf(string? text) => text switch
    {
        "classify" => SequenceTask.Classify,
        "regress" => SequenceTask.Regress,
        _ => SequenceTask.Auto,
    };

    /// <summary>Comma-separated columns (names or indices), or null when not given.</summary>
    public static IReadOnlyList<ColumnRef>? Columns(string? text, string option) => text is null ? null
        : text.Split(',').Select(part => part.Trim().Length == 0
            ? throw new UsageException($"{option}: an empty column name in \"{text}\".")
            : ColumnRef.Parse(part.Trim())).ToArray();

    private static Option<int?> Positive(string name, string description, string helpName)
    {
        var option = new Option<int?>(name) { Description = description, HelpName = helpName };
        option.Validators.Add(r =>
        {
            if (CommonOptions.TryGetValue(r, out int? value) && value is < 1 or > Model.ModelLimits.MaxSteps)
            {
                r.AddError($"{name} must be from 1 to {Model.ModelLimits.MaxSteps}.");
            }
        });
        return option;
    }
}
