namespace EdgeLstm.Data.Sequences;

/// <summary>
/// The two readings every CSV reader makes: a scan that checks the shape, counts the rows and refuses what would not fit
/// in memory, then — from the same start, with the header decision of the scan — a fill into exact-size arrays.
/// </summary>
internal static class CsvTwoPass
{
    /// <summary>Scans then fills <paramref name="stream"/> (seekable) from its current position.</summary>
    /// <param name="open">Opens a table on the stream with a header mode.</param>
    /// <param name="scan">The first reading; returns the plan, which says whether the file had a header.</param>
    /// <param name="fill">The second reading, given the plan.</param>
    public static TResult Read<TPlan, TResult>(Stream stream, HeaderMode header, Func<HeaderMode, CsvTable> open, Func<CsvTable, TPlan> scan, Func<CsvTable, TPlan, TResult> fill)
        where TPlan : IPlan
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable: it is read once to size the data and once to fill it.", nameof(stream));
        }

        long start = stream.Position;
        TPlan plan = scan(open(header));
        stream.Position = start;
        return fill(open(plan.HasHeader ? HeaderMode.Present : HeaderMode.Absent), plan);
    }

    /// <summary>What the scan learnt that the fill needs first: whether the first row was a header.</summary>
    public interface IPlan
    {
        /// <summary>Whether the first row was a header.</summary>
        bool HasHeader { get; }
    }
}
