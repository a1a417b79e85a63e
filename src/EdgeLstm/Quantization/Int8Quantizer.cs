using System.Runtime.Intrinsics;

namespace EdgeLstm.Quantization;

/// <summary>
/// Symmetric per-row int8 quantisation: scale = max|w| / 127 in fp32, q = round(w · (1/scale)) with ties to even,
/// clamped to [-127, 127]. This is PyTorch's <c>torch.quantize_per_channel(w, scales, zero_points=0, axis=0,
/// dtype=torch.qint8)</c> given the same scales, bit for bit: it too multiplies by the fp32 reciprocal (dividing
/// instead disagrees on values that land near a tie) and rounds with <c>nearbyint</c> (ties to even).
/// A row of zeros gets scale 0 and zeros; it is handled before the reciprocal, which would be infinite.
/// </summary>
public static class Int8Quantizer
{
    /// <summary>Quantises the row-major matrix <paramref name="weights"/> [rows × cols].</summary>
    /// <exception cref="ArgumentException">A weight is not finite, or the span does not hold rows·cols values.</exception>
    public static Int8Matrix Quantize(ReadOnlySpan<float> weights, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        long count = (long)rows * cols;
        if (weights.Length != count)
        {
            throw new ArgumentException($"The weights hold {weights.Length} values; [{rows}, {cols}] needs {count}.", nameof(weights));
        }

        var values = new sbyte[count];
        var scales = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            var row = weights.Slice(i * cols, cols);
            float max = 0;
            for (int j = 0; j < row.Length; j++)
            {
                float v = row[j];
                if (!float.IsFinite(v))
                {
                    throw new ArgumentException($"Weight [{i}, {j}] is {v}; only finite weights can be quantised.", nameof(weights));
                }

                max = MathF.Max(max, MathF.Abs(v));
            }

            // max ≤ float.MaxValue, so the scale is finite; a positive max below 127·ε still gives a scale > 0 or a
            // denormal 0: the second case is a row too small to represent, stored as zeros with scale 0.
            float scale = max / Int8Matrix.MaxMagnitude;
            if (scale == 0)
            {
                continue;
            }

            scales[i] = scale;
            float inverse = 1f / scale;
            var q = values.AsSpan(i * cols, cols);
            for (int j = 0; j < row.Length; j++)
            {
                // A subnormal scale has an infinite reciprocal (0·∞ would be NaN): such a row divides instead.
                q[j] = float.IsFinite(inverse) ? QuantizeValue(row[j], inverse) : Round(row[j] / scale);
            }
        }

        return new Int8Matrix(rows, cols, values, scales);
    }

    /// <summary>Writes scale · q for every value into <paramref name="destination"/> (rows·cols floats).</summary>
    public static void Dequantize(Int8Matrix matrix, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (destination.Length != (long)matrix.Rows * matrix.Cols)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; the matrix has {(long)matrix.Rows * matrix.Cols}.", nameof(destination));
        }

        var values = matrix.Values;
        int cols = matrix.Cols;
        for (int i = 0; i < matrix.Rows; i++)
        {
            float scale = matrix.Scales[i];
            for (int j = 0; j < cols; j++)
            {
                destination[(i * cols) + j] = scale * values[(i * cols) + j];
            }
        }
    }

    /// <summary>One value: w·(1/scale) rounded to the nearest integer, ties to even, clamped to ±127.</summary>
    internal static sbyte QuantizeValue(float weight, float inverseScale) => Round(weight * inverseScale);

    /// <summary>
    /// A scaled value rounded to the nearest integer, ties to even (torch's <c>nearbyint</c>), clamped to ±127: the one
    /// rounding of every int8 quantisation here, of weights and of activations (<see cref="Kernels.Int8Activations"/>).
    /// </summary>
    internal static sbyte Round(float scaled)
        => (sbyte)Math.Clamp(MathF.Round(scaled, MidpointRounding.ToEven), -Int8Matrix.MaxMagnitude, Int8Matrix.MaxMagnitude);

    /// <summary><see cref="Round(float)"/> on four values at once, as int32 lanes (<see cref="Vector128.Round(Vector128{float})"/> rounds ties to even too).</summary>
    internal static Vector128<int> Round(Vector128<float> scaled)
        => Vector128.Clamp(Vector128.ConvertToInt32(Vector128.Round(scaled)), Vector128.Create(-Int8Matrix.MaxMagnitude), Vector128.Create(Int8Matrix.MaxMagnitude));
}
