using EdgeLstm.Quantization;

namespace EdgeLstm.Kernels;

/// <summary>
/// An <see cref="Int8Matrix"/> W [rows × cols] laid out for the int8 product kernels: panels of <see cref="Width"/>
/// output rows, each panel holding its cols steps one after another and each step the panel's 16 weights side by side
/// (one byte per output row). A product then reads every weight once, as one sequential stream, and each output row is
/// a vector lane: no horizontal sums. The last panel is padded with zero rows (scale 0), which are never written out.
/// </summary>
/// <remarks>Pinned and 64-byte aligned, so kernels hold raw pointers into it; built once per model, never changed.</remarks>
public sealed unsafe class Int8PanelMatrix
{
    /// <summary>Output rows per panel: one 512-bit float vector, two 256-bit, four 128-bit.</summary>
    public const int Width = 16;

    private const int Alignment = 64;
    private readonly sbyte[] _valueStorage;
    private readonly float[] _scaleStorage;

    /// <summary>Repacks <paramref name="matrix"/> (its values and scales are copied; it is not kept).</summary>
    /// <exception cref="ArgumentException">The packed form would not fit in one array.</exception>
    public Int8PanelMatrix(Int8Matrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        Rows = matrix.Rows;
        Cols = matrix.Cols;
        Panels = (Rows + Width - 1) / Width;
        long bytes = checked((long)Panels * Width * Cols);
        if (bytes > Array.MaxLength - Alignment)
        {
            throw new ArgumentException($"An int8 matrix of [{Rows}, {Cols}] needs {bytes} bytes in panels; at most {Array.MaxLength - Alignment} fit.", nameof(matrix));
        }

        _valueStorage = GC.AllocateArray<sbyte>((int)bytes + Alignment, pinned: true);
        _scaleStorage = GC.AllocateArray<float>((Panels * Width) + (Alignment / sizeof(float)), pinned: true);
        fixed (sbyte* v = _valueStorage)
        fixed (float* s = _scaleStorage)
        {
            // Both arrays are pinned for their whole lives, so these addresses stay valid.
            Values = v + ((Alignment - ((nint)v & (Alignment - 1))) & (Alignment - 1));
            Scales = (float*)((byte*)s + ((Alignment - ((nint)s & (Alignment - 1))) & (Alignment - 1)));
        }

        var source = matrix.Values;
        for (int i = 0; i < Rows; i++)
        {
            sbyte* lane = Values + ((long)(i / Width) * Width * Cols) + (i % Width);
            var row = source.Slice(i * Cols, Cols);
            for (int k = 0; k < Cols; k++)
            {
                lane[(long)k * Width] = row[k];
            }

            Scales[i] = matrix.Scales[i];
        }
    }

    /// <summary>Output rows (one scale each).</summary>
    public int Rows { get; }

    /// <summary>Inputs per row: the depth of a product.</summary>
    public int Cols { get; }

    /// <summary>Panels of <see cref="Width"/> rows, the last one padded.</summary>
    public int Panels { get; }

    /// <summary>Bytes of weights a product reads: one per value, four per scale (padding included).</summary>
    public long WeightBytes => ((long)Panels * Width * Cols) + ((long)Panels * Width * sizeof(float));

    /// <summary>Panel p, step k, lane j is row 16p + j, column k: at <c>Values[(p·Cols + k)·16 + j]</c>.</summary>
    internal sbyte* Values { get; }

    /// <summary>One scale per row, zero for the padding rows.</summary>
    internal float* Scales { get; }
}
