namespace EdgeLstm.Quantization;

/// <summary>
/// A weight matrix [rows × cols] stored as symmetric int8 with one fp32 scale per output row: w[i, j] ≈ scales[i] ·
/// values[i·cols + j]. Values lie in [-127, 127] (symmetric: -128 is never produced, so negating a row never
/// overflows). A row of zeros has scale 0 and only zeros; every other row has a positive, finite scale.
/// </summary>
/// <remarks>The arrays are taken, not copied: the matrix owns them and nothing may change them afterwards.</remarks>
public sealed class Int8Matrix
{
    /// <summary>The largest magnitude of a stored value.</summary>
    public const int MaxMagnitude = 127;

    private readonly sbyte[] _values;
    private readonly float[] _scales;

    /// <summary>Wraps <paramref name="values"/> (row-major) and <paramref name="scales"/> after checking every rule above.</summary>
    /// <exception cref="ArgumentException">A length, a value or a scale breaks a rule; the message says which.</exception>
    public Int8Matrix(int rows, int cols, sbyte[] values, float[] scales)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(scales);
        if (FindFault(rows, cols, values, scales) is { } fault)
        {
            throw new ArgumentException($"{fault.Part}: {fault.Problem}");
        }

        Rows = rows;
        Cols = cols;
        _values = values;
        _scales = scales;
    }

    /// <summary>Output rows (one scale each).</summary>
    public int Rows { get; }

    /// <summary>Inputs per row.</summary>
    public int Cols { get; }

    /// <summary>The quantised values, row-major.</summary>
    public ReadOnlySpan<sbyte> Values => _values;

    /// <summary>One scale per row.</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <summary>The values as memory, for a writer that reads them later.</summary>
    internal ReadOnlyMemory<sbyte> ValueMemory => _values;

    /// <summary>The scales as memory, for a writer that reads them later.</summary>
    internal ReadOnlyMemory<float> ScaleMemory => _scales;

    /// <summary>Bytes of weights a product reads: one per value plus four per scale.</summary>
    public long WeightBytes => _values.LongLength + (4L * _scales.Length);

    /// <summary>
    /// The first rule the parts break, as the part at fault ("shape", "values" or "scales") and what was expected
    /// against what was found; null when they make a valid matrix. The one place the rules live: the constructor and
    /// the safetensors reader both ask it.
    /// </summary>
    internal static (string Part, string Problem)? FindFault(int rows, int cols, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales)
    {
        if (rows < 0 || cols < 0)
        {
            return ("shape", $"expected non-negative dimensions, found [{rows}, {cols}]");
        }

        if (values.Length != (long)rows * cols)
        {
            return ("values", $"expected {(long)rows * cols} values for [{rows}, {cols}], found {values.Length}");
        }

        if (scales.Length != rows)
        {
            return ("scales", $"expected one scale per row ({rows}), found {scales.Length}");
        }

        for (int i = 0; i < rows; i++)
        {
            var row = values.Slice(i * cols, cols);
            int extreme = row.IndexOf(sbyte.MinValue);
            if (extreme >= 0)
            {
                return ("values", $"expected -{MaxMagnitude}..{MaxMagnitude} (symmetric), found -128 at row {i}, column {extreme}");
            }

            float scale = scales[i];
            if (!float.IsFinite(scale) || scale < 0)
            {
                return ("scales", $"expected a finite number ≥ 0 for row {i}, found {Text(scale)}");
            }

            if (scale == 0)
            {
                int nonZero = row.IndexOfAnyExcept((sbyte)0);
                if (nonZero >= 0)
                {
                    return ("scales", $"expected a positive scale for row {i}, which holds {row[nonZero]} at column {nonZero} (0 is kept for rows of zeros), found 0");
                }
            }
        }

        return null;
    }

    private static string Text(float value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
