namespace EdgeLstm.Data.Sequences;

/// <summary>How <see cref="TimeSeriesCsvReader"/> reads one time series (one row per step, in time order).</summary>
public sealed class TimeSeriesCsvOptions
{
    /// <summary>
    /// The date column, or null to recognise it: the first column whose every value is a date in one of the forms of
    /// <see cref="DateColumnKind"/>, rising from row to row. A date column given here must be such a column.
    /// </summary>
    public ColumnRef? Date { get; init; }

    /// <summary>False: no date column, even when one would be recognised.</summary>
    public bool RecogniseDate { get; init; } = true;

    /// <summary>Whether the date is also an input (as a fractional year); by default it only labels the steps.</summary>
    public bool DateAsFeature { get; init; }

    /// <summary>The feature columns, or null for every column but the date. A target column not listed is added: its past is part of the window.</summary>
    public IReadOnlyList<ColumnRef>? Features { get; init; }

    /// <summary>The columns forecast, or null for every feature column read from the file (not the date).</summary>
    public IReadOnlyList<ColumnRef>? Targets { get; init; }

    /// <summary>Whether the first row is a header; see <see cref="HeaderMode.Auto"/> (a date in the first row is data).</summary>
    public HeaderMode Header { get; init; }

    /// <summary>What an empty field means; forward fill carries the step before (a series that starts empty is an error).</summary>
    public MissingValuePolicy Missing { get; init; }

    /// <summary>The most memory the series may take while it is read; a larger file is refused before anything is allocated.</summary>
    public long MaxBytes { get; init; } = MemoryBudget.DefaultMaxBytes;
}
