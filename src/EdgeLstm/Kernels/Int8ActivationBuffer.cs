namespace EdgeLstm.Kernels;

/// <summary>
/// Rows of activations quantised for the integer products (<see cref="Int8Activations"/>): int8 values, each row
/// padded to whole groups of four, and one scale per row. Grows to the largest product it has served and is then
/// reused, so a warmed-up caller allocates nothing; pinned, so kernels on other threads read it by pointer.
/// </summary>
internal sealed unsafe class Int8ActivationBuffer
{
    private sbyte[] _values = [];
    private float[] _scales = [];

    /// <summary>Row r's values start at <c>Values + r·Stride</c>.</summary>
    public sbyte* Values { get; private set; }

    /// <summary>One scale per row.</summary>
    public float* Scales { get; private set; }

    /// <summary>Bytes between rows: the matrix's groups × 4.</summary>
    public int Stride { get; private set; }

    /// <summary>
    /// Quantises <paramref name="rows"/> rows of <paramref name="a"/> (row stride <paramref name="lda"/>) for a product
    /// with <paramref name="w"/>; <paramref name="biased"/> stores q + 128 as unsigned bytes, for a VNNI kernel.
    /// </summary>
    public void Quantize(Int8PanelMatrix w, float* a, int lda, int rows, bool biased)
    {
        Stride = w.Groups * 4;
        long bytes = checked((long)rows * Stride);
        if (_values.Length < bytes || _scales.Length < rows)
        {
            // Pinned arrays, so the pointers stay valid; an int-sized array is enough: the model limits keep an
            // activation matrix under 2^30 floats.
            _values = GC.AllocateArray<sbyte>(checked((int)Math.Max(bytes, _values.Length)), pinned: true);
            _scales = GC.AllocateArray<float>(Math.Max(rows, _scales.Length), pinned: true);
            fixed (sbyte* v = _values)
            fixed (float* s = _scales)
            {
                Values = v;
                Scales = s;
            }
        }

        for (int r = 0; r < rows; r++)
        {
            sbyte* q = Values + ((long)r * Stride);
            Scales[r] = Int8Activations.Quantize(a + ((long)r * lda), w.Cols, q, w.Groups);
            if (biased)
            {
                // q + 128 as an unsigned byte is q with its top bit flipped.
                var words = new Span<int>(q, w.Groups);
                for (int g = 0; g < words.Length; g++)
                {
                    words[g] ^= unchecked((int)0x80808080);
                }
            }
        }
    }
}
