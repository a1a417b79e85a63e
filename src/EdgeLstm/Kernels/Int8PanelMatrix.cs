using EdgeLstm.Quantization;

namespace EdgeLstm.Kernels;

/// <summary>
/// An <see cref="Int8Matrix"/> W [rows × cols] laid out for the integer dot-product kernels: panels of
/// <see cref="Width"/> output rows; in each, the columns in groups of four, and each group the panel's 16 rows side by
/// side, four bytes a row (64 bytes: what one 4-way dot-product instruction per lane reads, VNNI <c>vpdpbusd</c> or
/// ARM <c>sdot</c>). A product reads every weight once, sequentially, and each output row is an integer lane: no
/// horizontal sums. The columns are padded to a multiple of four and the last panel with zero rows (scale 0).
/// </summary>
/// <remarks>Pinned and 64-byte aligned, so kernels hold raw pointers into it; built once per model, never changed.</remarks>
public sealed unsafe class Int8PanelMatrix
{
    /// <summary>Output rows per panel: one 512-bit vector of int32 lanes, two 256-bit, four 128-bit.</summary>
    public const int Width = 16;

    /// <summary>Bytes of one group of four columns of a panel.</summary>
    internal const int GroupBytes = Width * 4;

    private const int Alignment = 64;
    private readonly sbyte[] _valueStorage;
    private readonly float[] _scaleStorage;
    private readonly int[] _rowSumStorage;

    /// <summary>Repacks <paramref name="matrix"/> (its values and scales are copied; it is not kept).</summary>
    /// <exception cref="ArgumentException">The packed form would not fit in one array.</exception>
    public Int8PanelMatrix(Int8Matrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        Rows = matrix.Rows;
        Cols = matrix.Cols;
        Panels = (Rows + Width - 1) / Width;
        Groups = (Cols + 3) / 4;
        long bytes = checked((long)Panels * Groups * GroupBytes);
        if (bytes > Array.MaxLength - Alignment)
        {
            throw new ArgumentException($"An int8 matrix of [{Rows}, {Cols}] needs {bytes} bytes in panels; at most {Array.MaxLength - Alignment} fit.", nameof(matrix));
        }

        int paddedRows = Panels * Width;
        _valueStorage = GC.AllocateArray<sbyte>((int)bytes + Alignment, pinned: true);
        _scaleStorage = GC.AllocateArray<float>(paddedRows + (Alignment / sizeof(float)), pinned: true);
        _rowSumStorage = GC.AllocateArray<int>(paddedRows + (Alignment / sizeof(int)), pinned: true);
        fixed (sbyte* v = _valueStorage)
        fixed (float* s = _scaleStorage)
        fixed (int* r = _rowSumStorage)
        {
            // The arrays are pinned for their whole lives, so these addresses stay valid.
            Values = (sbyte*)Aligned(v);
            Scales = (float*)Aligned(s);
            RowSums = (int*)Aligned(r);
        }

        var source = matrix.Values;
        for (int i = 0; i < Rows; i++)
        {
            var row = source.Slice(i * Cols, Cols);
            int sum = 0;
            for (int k = 0; k < Cols; k++)
            {
                Values[At(i, k)] = row[k];
                sum += row[k];
            }

            Scales[i] = matrix.Scales[i];
            RowSums[i] = sum;
        }
    }

    /// <summary>Output rows (one scale each).</summary>
    public int Rows { get; }

    /// <summary>Inputs per row: the depth of a product.</summary>
    public int Cols { get; }

    /// <summary>Panels of <see cref="Width"/> rows, the last one padded.</summary>
    public int Panels { get; }

    /// <summary>Groups of four columns, the last one padded.</summary>
    public int Groups { get; }

    /// <summary>The values: row i, column k at <see cref="At"/>(i, k).</summary>
    internal sbyte* Values { get; }

    /// <summary>One scale per row, zero for the padding rows.</summary>
    internal float* Scales { get; }

    /// <summary>Σ_k q[i, k] per row: what a kernel that adds 128 to each activation (VNNI's unsigned bytes) takes off again.</summary>
    internal int* RowSums { get; }

    /// <summary>Bytes held: the values, scales and row sums with their padding.</summary>
    internal long Bytes => _valueStorage.LongLength + (4L * _scaleStorage.Length) + (4L * _rowSumStorage.Length);

    /// <summary>Where row i, column k is: panel i/16, group k/4, lane i%16, byte k%4.</summary>
    internal long At(int i, int k) => ((((long)(i / Width) * Groups) + (k / 4)) * GroupBytes) + ((i % Width) * 4) + (k % 4);

    private static void* Aligned(void* p) => (byte*)p + ((Alignment - ((nint)p & (Alignment - 1))) & (Alignment - 1));
}
