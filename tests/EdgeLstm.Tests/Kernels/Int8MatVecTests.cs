using System.Runtime.Intrinsics;
using EdgeLstm.Kernels;
using EdgeLstm.Quantization;
using EdgeLstm.Simd;
using EdgeLstm.Tests.Reference;

namespace EdgeLstm.Tests.Kernels;

/// <summary>
/// The int8 products at every vector width (the ones this processor lacks emulated), bit for bit against the scalar
/// loops of the same arithmetic (<see cref="Int8ProductReference"/>), and within the quantisation bound of fp32.
/// </summary>
public unsafe class Int8MatVecTests
{
    // Rows around the panel (16) and the vector widths (4, 8, 16), and past the 8-vector block (128 rows at 512 bits).
    private static readonly int[] Rows = [1, 3, 4, 15, 16, 17, 33, 63, 129, 257];
    private static readonly int[] Cols = [0, 1, 3, 17, 64, 257];

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void Every_shape_batch_and_accumulate_flag_gives_the_reference_bits(SimdWidth width)
    {
        var rng = new Random(14);
        int checkedOutputs = 0;
        foreach (int batch in new[] { 1, 2, 3, 4, 5, 8, 9 })
        {
            foreach (int rows in Rows)
            {
                foreach (int cols in Cols)
                {
                    bool accumulate = (rows + cols + batch) % 2 == 0;
                    var m = RandomMatrix(rng, rows, cols);
                    var x = RandomFloats(rng, batch * cols);
                    var y = RandomFloats(rng, batch * rows);
                    var expected = (float[])y.Clone();
                    Int8ProductReference.Multiply(m, x, expected, batch, accumulate);
                    Int8MatVec.MultiplyBatch(new Int8PanelMatrix(m), x, y, batch, accumulate, width);
                    AssertBits(expected, y, $"batch {batch} {rows}×{cols} acc={accumulate} {width}");
                    checkedOutputs += y.Length;
                }
            }
        }

        Assert.True(checkedOutputs > 10_000, $"{checkedOutputs} outputs");
    }

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void Splitting_the_rows_by_panels_changes_no_bit(SimdWidth width)
    {
        // The engine shares a product between threads by whole panels of rows.
        var rng = new Random(16);
        int rows = 67, cols = 129, batch = 6;
        var m = new Int8PanelMatrix(RandomMatrix(rng, rows, cols));
        var x = RandomFloats(rng, batch * cols);
        var whole = new float[batch * rows];
        Int8MatVec.MultiplyBatch(m, x, whole, batch, width: width);
        foreach (int split in new[] { 16, 32, 48, 64 })
        {
            var parts = new float[batch * rows];
            var quantised = new Int8ActivationBuffer();
            fixed (float* px = x, py = parts)
            {
                quantised.Quantize(m, px, cols, batch, Int8MatVec.Biased(width));
                Int8MatVec.Run(m, quantised, py, rows, batch, 0, split, false, width);
                Int8MatVec.Run(m, quantised, py, rows, batch, split, rows, false, width);
            }

            AssertBits(whole, parts, $"split at {split}");
        }
    }

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void The_recipe_shapes_give_the_reference_bits(SimdWidth width)
    {
        var rng = new Random(17);
        foreach (var (rows, cols) in new[] { (1024, 256), (1024, 28), (10, 256), (768, 256) })
        {
            var m = RandomMatrix(rng, rows, cols);
            var x = RandomFloats(rng, 8 * cols);
            var y = new float[8 * rows];
            var expected = new float[8 * rows];
            Int8ProductReference.Multiply(m, x, expected, 8, false);
            Int8MatVec.MultiplyBatch(new Int8PanelMatrix(m), x, y, 8, width: width);
            AssertBits(expected, y, $"{rows}×{cols} {width}");
        }
    }

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void The_error_against_fp32_stays_within_half_a_step_of_each_weight_and_each_activation(SimdWidth width)
    {
        // w = s_w·q_w + e_w and x = s_x·q_x + e_x with |e_w| ≤ s_w/2, |e_x| ≤ s_x/2, so
        // |Σ w·x − s_w·s_x·Σ q_w·q_x| ≤ Σ|x|·s_w/2 + Σ|w|·s_x/2 + cols·s_w·s_x/4, plus the final fp32 roundings.
        var rng = new Random(18);
        int rows = 257, cols = 63;
        var w = RandomFloats(rng, rows * cols);
        var m = Int8Quantizer.Quantize(w, rows, cols);
        var x = RandomFloats(rng, cols);
        var y = new float[rows];
        Int8MatVec.Multiply(new Int8PanelMatrix(m), x, y, width: width);
        double sumAbsX = x.Sum(v => Math.Abs((double)v));
        double xScale = x.Max(v => Math.Abs((double)v)) / 127;
        double worst = 0;
        for (int i = 0; i < rows; i++)
        {
            double exact = 0, sumAbsW = 0;
            for (int j = 0; j < cols; j++)
            {
                exact += (double)w[(i * cols) + j] * x[j];
                sumAbsW += Math.Abs((double)w[(i * cols) + j]);
            }

            double bound = (sumAbsX * m.Scales[i] / 2) + (sumAbsW * xScale / 2) + (cols * m.Scales[i] * xScale / 4) + (Math.Abs(exact) * 1e-6) + 1e-9;
            double error = Math.Abs(y[i] - exact);
            Assert.True(error <= bound, $"row {i}: error {error} > bound {bound}");
            worst = Math.Max(worst, error / bound);
        }

        // The quantisation is really there (the bound is not met by an accident of fp32 arithmetic).
        Assert.True(worst > 0.01, $"worst error/bound {worst}");
    }

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void Zero_and_non_finite_inputs_give_zeros_and_NaNs(SimdWidth width)
    {
        var m = new Int8PanelMatrix(RandomMatrix(new Random(20), 37, 9));
        var x = new float[3 * 9];
        x[9 + 4] = float.NaN;
        x[18 + 2] = float.PositiveInfinity;
        var y = new float[3 * 37];
        y.AsSpan().Fill(5);
        Int8MatVec.MultiplyBatch(m, x, y, 3, width: width);
        Assert.All(y.Take(37), v => Assert.Equal(0f, v));
        Assert.All(y.Skip(37), v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [InlineData(127f, 1f)]
    [InlineData(63.5f, 0.5f)]
    public void Activations_on_a_tie_round_to_even_in_the_vector_body_and_the_tail(float max, float scale)
    {
        // PyTorch's quantize_per_tensor rounds ties to even (nearbyint), as Int8Quantizer documents for the weights. The
        // scale here is exact (max/127), so each value lands exactly on k + ½ after scaling: 0.5 → 0, 1.5 → 2, 2.5 → 2,
        // where ties away from zero or upward would give 1, 2, 3. The first 16 values go through the vector body, the
        // last 4 through the scalar tail.
        float[] scaled = [0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -126.5f, 127f, 3.5f, -3.5f, 4.5f, -4.5f, 0f, 5.5f, -5.5f, 0.5f, -2.5f, 126.5f, -3.5f];
        sbyte[] expected = [0, 2, 2, 0, -2, -2, 126, -126, 127, 4, -4, 4, -4, 0, 6, -6, 0, -2, 126, -4];
        var x = scaled.Select(v => v * scale).ToArray();
        Assert.Equal(max, x.Max(MathF.Abs));
        var q = new sbyte[20];
        fixed (float* px = x)
        fixed (sbyte* pq = q)
        {
            Assert.Equal(scale, Int8Activations.Quantize(px, x.Length, pq, 5));
        }

        Assert.Equal(expected, q);
    }

    [Fact]
    public void Panels_hold_each_row_in_its_lane_four_columns_a_group_and_pad_with_zeros()
    {
        var m = RandomMatrix(new Random(19), 19, 5);
        var p = new Int8PanelMatrix(m);
        Assert.Equal(2, p.Panels);
        Assert.Equal(2, p.Groups);
        for (int i = 0; i < 32; i++)
        {
            int sum = 0;
            for (int k = 0; k < 8; k++)
            {
                sbyte expected = i < 19 && k < 5 ? m.Values[(i * 5) + k] : (sbyte)0;
                Assert.Equal(expected, p.Values[((((i / 16) * 2) + (k / 4)) * 64) + ((i % 16) * 4) + (k % 4)]);
                sum += expected;
            }

            Assert.Equal(i < 19 ? m.Scales[i] : 0f, p.Scales[i]);
            Assert.Equal(sum, p.RowSums[i]);
        }

        Assert.Equal(0, (nint)p.Values & 63);
        Assert.Equal(0, (nint)p.Scales & 63);
    }

    [Fact]
    public void The_instruction_set_dot_products_equal_the_portable_ones()
    {
        // VNNI adds 128 to each activation byte (it multiplies unsigned by signed) and takes 128·Σw off at the end;
        // SDOT and the portable shifts do not. Every one must give the exact sums, the extremes ±127 included.
        var rng = new Random(21);
        var bytes = new sbyte[64];
        fixed (sbyte* w = bytes)
        {
            for (int trial = 0; trial < 2000; trial++)
            {
                int x = 0;
                for (int t = 0; t < 4; t++)
                {
                    int xt = trial < 2 ? (trial == 0 ? 127 : -127) : rng.Next(-127, 128);
                    x |= (xt & 0xFF) << (8 * t);
                }

                for (int i = 0; i < bytes.Length; i++)
                {
                    bytes[i] = trial < 2 ? (sbyte)(trial == 0 ? 127 : -127) : (sbyte)rng.Next(-127, 128);
                }

                var expected = new int[16];
                var bias = new int[16];
                for (int j = 0; j < 16; j++)
                {
                    for (int t = 0; t < 4; t++)
                    {
                        expected[j] += bytes[(4 * j) + t] * (sbyte)(x >> (8 * t));
                        bias[j] += 128 * bytes[(4 * j) + t];
                    }
                }

                // The activations as a biased kernel's buffer holds them: q + 128 as unsigned bytes.
                int biased = x ^ unchecked((int)0x80808080);
                var bias128 = Int8Dot128.Biased ? Vector128.Create(bias[..4]) : Vector128<int>.Zero;
                var bias256 = Int8Dot256.Biased ? Vector256.Create(bias[..8]) : Vector256<int>.Zero;
                Assert.Equal(Vector128.Create(expected[..4]), Int8Dot128.Dot(Vector128<int>.Zero, w, Vector128.Create(Int8Dot128.Biased ? biased : x)) - bias128);
                Assert.Equal(Vector128.Create(expected[..4]), Int8Dot128.Portable(Vector128<int>.Zero, w, Vector128.Create(x)));
                Assert.Equal(Vector256.Create(expected[..8]), Int8Dot256.Dot(Vector256<int>.Zero, w, Vector256.Create(Int8Dot256.Biased ? biased : x)) - bias256);
                Assert.Equal(Vector256.Create(expected[..8]), Int8Dot256.Portable(Vector256<int>.Zero, w, Vector256.Create(x)));
                Assert.Equal(Vector512.Create(expected), Int8Dot512.Dot(Vector512<int>.Zero, w, Vector512.Create(x)));
            }
        }
    }

    [Fact]
    public void Short_spans_are_rejected_with_a_message()
    {
        var m = new Int8PanelMatrix(new Int8Matrix(2, 3, new sbyte[6], new float[2]));
        var ex = Assert.Throws<ArgumentException>(() => Int8MatVec.Multiply(m, new float[2], new float[2]));
        Assert.Contains("need 3", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Int8MatVec.MultiplyBatch(m, new float[6], new float[3], 2));
        Assert.Contains("need 4", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Exactly the same floats; a signed zero counts as different from the other.</summary>
    internal static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: output {i} is {actual[i]:R}, the reference {expected[i]:R}");
            }
        }
    }

    internal static Int8Matrix RandomMatrix(Random rng, int rows, int cols)
    {
        var values = new sbyte[rows * cols];
        var scales = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            // Some rows of zeros (scale 0), the rest in the full symmetric range.
            bool zero = rows > 2 && i % 7 == 3;
            scales[i] = zero ? 0 : (float)(rng.NextDouble() * 0.05) + 1e-4f;
            for (int j = 0; j < cols; j++)
            {
                values[(i * cols) + j] = zero ? (sbyte)0 : (sbyte)rng.Next(-127, 128);
            }
        }

        return new Int8Matrix(rows, cols, values, scales);
    }

    private static float[] RandomFloats(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return v;
    }
}
