namespace EdgeLstm.Data.Sequences;

/// <summary>How a time series' date column writes its dates (the forms recognised).</summary>
public enum DateColumnKind
{
    /// <summary>No date column.</summary>
    None = 0,

    /// <summary>A year: four digits, e.g. <c>1871</c>.</summary>
    Year = 1,

    /// <summary>Eight digits <c>YYYYMMDD</c>, e.g. <c>19580329</c>.</summary>
    CompactDate = 2,

    /// <summary>ISO 8601 <c>YYYY-MM-DD</c>, e.g. <c>1958-03-29</c>.</summary>
    IsoDate = 3,
}
