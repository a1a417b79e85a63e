namespace EdgeLstm.Kernels;

/// <summary>
/// How every piece of work is cut between threads: a run of items (rows of a batch, columns of a product, hidden
/// units) in whole blocks, part p of n taking blocks [B·p/n, B·(p+1)/n) of the B there are. A block is what a kernel
/// must not see cut: the matrix kernels' tile of four rows, a tile or panel of columns.
/// </summary>
internal static class BlockSplit
{
    /// <summary>Rows go to threads in blocks of this many: the matrix kernels' tile height.</summary>
    public const int RowBlock = 4;

    /// <summary>Items [Start, End) of <paramref name="count"/> that part <paramref name="part"/> of <paramref name="parts"/> takes, in blocks of <paramref name="block"/>.</summary>
    public static (int Start, int End) Of(int count, int block, int part, int parts)
    {
        int blocks = (count + block - 1) / block;
        int first = (int)((long)blocks * part / parts);
        int last = (int)((long)blocks * (part + 1) / parts);
        return (Math.Min(first * block, count), Math.Min(last * block, count));
    }

    /// <summary>Rows [Start, End) of <paramref name="rows"/> for part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int Start, int End) Rows(int rows, int part, int parts) => Of(rows, RowBlock, part, parts);

    /// <summary>True when a batch has enough rows to give every thread at least one block.</summary>
    public static bool CanSplitRows(int rows, int parts) => parts > 1 && rows >= RowBlock * parts;
}
