namespace EdgeLstm.Engine;

/// <summary>Splits rows between threads in blocks of four (the matrix kernels' tile height).</summary>
internal static class RowRange
{
    public static (int Start, int End) Of(int rows, int part, int parts)
    {
        int blocks = (rows + 3) / 4;
        int first = (int)((long)blocks * part / parts);
        int last = (int)((long)blocks * (part + 1) / parts);
        return (Math.Min(first * 4, rows), Math.Min(last * 4, rows));
    }

    /// <summary>True when a batch has enough rows to give every thread at least one block of four.</summary>
    public static bool CanSplit(int rows, int parts) => parts > 1 && rows >= 4 * parts;
}
