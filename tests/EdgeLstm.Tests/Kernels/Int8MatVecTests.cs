using System.Runtime.Intrinsics;
using EdgeLstm.Kernels;
using EdgeLstm.Quantization;
using EdgeLstm.Simd;
using EdgeLstm.Tests.Reference;

namespace EdgeLstm.Tests.Kernels;

/// <summary>
/// The int8-weight products at every vector width (the ones this processor lacks emulated), bit for bit against the
/// scalar loop of the same arithmetic (<see cref="Int8ProductReference"/>), and within the quantisation bound of fp32.
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
            fixed (float* px = x, py = parts)
            {
                Int8MatVec.Run(m, px, cols, py, rows, batch, 0, split, false, width);
                Int8MatVec.Run(m, px, cols, py, rows, batch, split, rows, false, width);
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
    public void The_error_against_fp32_weights_stays_within_half_a_step_per_input(SimdWidth width)
    {
        // |Σ_j (w_j − s·q_j)·x_j| ≤ Σ_j |x_j|·s/2: each weight is off by at most half a step.
        var rng = new Random(18);
        int rows = 257, cols = 63;
        var w = RandomFloats(rng, rows * cols);
        var m = Int8Quantizer.Quantize(w, rows, cols);
        var x = RandomFloats(rng, cols);
        var y = new float[rows];
        Int8MatVec.Multiply(new Int8PanelMatrix(m), x, y, width: width);
        double sumAbsX = x.Sum(v => Math.Abs((double)v));
        double worst = 0;
        for (int i = 0; i < rows; i++)
        {
            double exact = 0, magnitude = 0;
            for (int j = 0; j < cols; j++)
            {
                exact += (double)w[(i * cols) + j] * x[j];
                magnitude += Math.Abs((double)w[(i * cols) + j] * x[j]);
            }

            double bound = (sumAbsX * m.Scales[i] / 2) + (magnitude * (cols + 2) * 6e-8);
            double error = Math.Abs(y[i] - exact);
            Assert.True(error <= bound, $"row {i}: error {error} > bound {bound}");
            worst = Math.Max(worst, error / bound);
        }

        // The quantisation is really there (the bound is not met by an accident of fp32 weights).
        Assert.True(worst > 0.01, $"worst error/bound {worst}");
    }

    [Fact]
    public void Panels_hold_each_row_in_its_lane_and_pad_with_zeros()
    {
        var m = RandomMatrix(new Random(19), 19, 5);
        var p = new Int8PanelMatrix(m);
        Assert.Equal(2, p.Panels);
        for (int i = 0; i < 32; i++)
        {
            for (int k = 0; k < 5; k++)
            {
                sbyte expected = i < 19 ? m.Values[(i * 5) + k] : (sbyte)0;
                Assert.Equal(expected, p.Values[((((i / 16) * 5) + k) * 16) + (i % 16)]);
            }

            Assert.Equal(i < 19 ? m.Scales[i] : 0f, p.Scales[i]);
        }

        Assert.Equal(0, (nint)p.Values & 63);
        Assert.Equal(0, (nint)p.Scales & 63);
    }

    [Fact]
    public void Portable_widening_equals_the_hardware_widening_for_every_byte()
    {
        var bytes = new sbyte[256 + 16];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = unchecked((sbyte)i);
        }

        fixed (sbyte* p = bytes)
        {
            for (int i = 0; i < 256; i++)
            {
                Assert.Equal(Int8Widening128.Portable(p + i), Int8Widening128.LoadWidened(p + i));
                Assert.Equal(Int8Widening256.Portable(p + i), Int8Widening256.LoadWidened(p + i));
                Assert.Equal(Int8Widening512.Portable(p + i), Int8Widening512.LoadWidened(p + i));
                Assert.Equal(Vector128.Create((float)bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]), Int8Widening128.Portable(p + i));
                Assert.Equal((float)bytes[i + 15], Int8Widening512.Portable(p + i)[15]);
                Assert.Equal((float)bytes[i + 7], Int8Widening256.Portable(p + i)[7]);
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
