namespace EdgeLstm.Data.Sequences;

/// <summary>How <see cref="CsvSequenceReader"/> reads a long-format CSV (one row per time step).</summary>
public sealed class CsvSequenceOptions
{
    /// <summary>The sequence-id column (default: the first). Ids are text, compared exactly.</summary>
    public ColumnRef Id { get; init; } = ColumnRef.ByIndex(0);

    /// <summary>
    /// The order column, or null to keep file order within each sequence. Its values are numbers or dates/times
    /// (ISO 8601 recommended), the same kind on every row; a value repeated within a sequence is an error.
    /// </summary>
    public ColumnRef? Time { get; init; }

    /// <summary>The feature columns in input order, or null for every column that is not the id, time or a target.</summary>
    public IReadOnlyList<ColumnRef>? Features { get; init; }

    /// <summary>The target columns: one for classes, one or more for regression; empty for data without targets (to predict on).</summary>
    public IReadOnlyList<ColumnRef> Targets { get; init; } = [];

    /// <summary>Classes or numbers; see <see cref="SequenceTask.Auto"/>.</summary>
    public SequenceTask Task { get; init; }

    /// <summary>Whether the target belongs to the sequence or to each step; see <see cref="TargetPlacement.Auto"/>.</summary>
    public TargetPlacement Placement { get; init; }

    /// <summary>Whether the first row is a header; see <see cref="HeaderMode.Auto"/>.</summary>
    public HeaderMode Header { get; init; }

    /// <summary>What an empty feature or target field means (default: an error).</summary>
    public MissingValuePolicy Missing { get; init; }

    /// <summary>The most memory the data may take while it is read; a larger file is refused before anything is allocated.</summary>
    public long MaxBytes { get; init; } = MemoryBudget.DefaultMaxBytes;
}
