using System.Runtime.Intrinsics;
using EdgeLstm.Kernels;
using EdgeLstm.Quantization;
using EdgeLstm.Simd;
using EdgeLstm.Tests.Kernels;

namespace EdgeLstm.Tests.Quantization;

/// <summary>The int8-weight products at every vector width, against a double-precision loop over the same int8 values.</summary>
public unsafe class Int8MatVecTests
{
    private static readonly int[] Sizes = [1, 3, 17, 63, 257];

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void Matrix_vector_products_match_the_reference_on_odd_shapes(SimdWidth width)
    {
        var rng = new Random(14);
        int shapes = 0;
        foreach (int rows in Sizes)
        {
            foreach (int cols in Sizes)
            {
                foreach (bool accumulate in new[] { false, true })
                {
                    var m = RandomMatrix(rng, rows, cols);
                    var x = RandomFloats(rng, cols);
                    var y = RandomFloats(rng, rows);
                    var expected = Reference(m, x, 1, y, accumulate);
                    Int8MatVec.Multiply(m, x, y, accumulate, width);
                    AssertClose(expected, y, m, x, 1, $"{rows}×{cols} acc={accumulate} {width}");
                    shapes++;
                }
            }
        }

        Assert.Equal(5 * 5 * 2, shapes);
    }

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void Small_batches_match_the_reference_and_each_row_is_the_single_product_bit_for_bit(SimdWidth width)
    {
        var rng = new Random(15);
        foreach (int batch in new[] { 1, 2, 3, 4, 5, 7, 8 })
        {
            foreach (int rows in Sizes)
            {
                foreach (int cols in Sizes)
                {
                    var m = RandomMatrix(rng, rows, cols);
                    var x = RandomFloats(rng, batch * cols);
                    var y = RandomFloats(rng, batch * rows);
                    bool accumulate = (rows + cols + batch) % 2 == 0;
                    var initial = (float[])y.Clone();
                    var expected = Reference(m, x, batch, y, accumulate);
                    Int8MatVec.MultiplyBatch(m, x, y, batch, accumulate, width);
                    AssertClose(expected, y, m, x, batch, $"batch {batch} {rows}×{cols} acc={accumulate} {width}");

                    // Batching (four inputs per widened weight vector) does not change the arithmetic of any output.
                    for (int b = 0; b < batch; b++)
                    {
                        var single = initial.AsSpan(b * rows, rows).ToArray();
                        Int8MatVec.Multiply(m, x.AsSpan(b * cols, cols), single, accumulate, width);
                        Assert.Equal(single, y.AsSpan(b * rows, rows).ToArray());
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void Splitting_the_rows_changes_no_bit(SimdWidth width)
    {
        // The engine splits rows between threads: a row computed in a block of four or alone is the same chain.
        var rng = new Random(16);
        int rows = 67, cols = 129, batch = 6;
        var m = RandomMatrix(rng, rows, cols);
        var x = RandomFloats(rng, batch * cols);
        var whole = new float[batch * rows];
        Int8MatVec.MultiplyBatch(m, x, whole, batch, width: width);
        foreach (int split in new[] { 1, 2, 3, 5, 33, 66 })
        {
            var parts = new float[batch * rows];
            fixed (sbyte* w = m.Values)
            fixed (float* s = m.Scales, px = x, py = parts)
            {
                Int8MatVec.Run(w, cols, s, px, cols, py, rows, batch, 0, split, cols, false, width);
                Int8MatVec.Run(w, cols, s, px, cols, py, rows, batch, split, rows, cols, false, width);
            }

            Assert.Equal(whole, parts);
        }
    }

    [Theory]
    [MemberData(nameof(MatMulTests.Widths), MemberType = typeof(MatMulTests))]
    public void The_recipe_shapes_match_the_reference(SimdWidth width)
    {
        var rng = new Random(17);
        foreach (var (rows, cols) in new[] { (1024, 256), (1024, 28), (10, 256) })
        {
            var m = RandomMatrix(rng, rows, cols);
            var x = RandomFloats(rng, 8 * cols);
            var y = new float[8 * rows];
            var expected = Reference(m, x, 8, y, false);
            Int8MatVec.MultiplyBatch(m, x, y, 8, width: width);
            AssertClose(expected, y, m, x, 8, $"{rows}×{cols} {width}");
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
        Int8MatVec.Multiply(m, x, y, width: width);
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
        var m = new Int8Matrix(2, 3, new sbyte[6], new float[2]);
        var ex = Assert.Throws<ArgumentException>(() => Int8Matrix_Multiply(m, new float[2], new float[2]));
        Assert.Contains("need 3", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Int8MatVec.MultiplyBatch(m, new float[6], new float[3], 2));
        Assert.Contains("need 4", ex.Message, StringComparison.Ordinal);
    }

    private static void Int8Matrix_Multiply(Int8Matrix m, float[] x, float[] y) => Int8MatVec.Multiply(m, x, y);

    private static Int8Matrix RandomMatrix(Random rng, int rows, int cols)
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

    /// <summary>y[b, i] (+)= scale_i · Σ_j q_ij·x[b, j], in double.</summary>
    private static double[] Reference(Int8Matrix m, float[] x, int batch, float[] y, bool accumulate)
    {
        var expected = new double[batch * m.Rows];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < m.Rows; i++)
            {
                double dot = 0;
                for (int j = 0; j < m.Cols; j++)
                {
                    dot += m.Values[(i * m.Cols) + j] * (double)x[(b * m.Cols) + j];
                }

                expected[(b * m.Rows) + i] = (m.Scales[i] * dot) + (accumulate ? y[(b * m.Rows) + i] : 0);
            }
        }

        return expected;
    }

    /// <summary>Within the fp32 rounding of the products' chain: a few ulps of Σ|q·x| per term, and of the accumulated y.</summary>
    private static void AssertClose(double[] expected, float[] actual, Int8Matrix m, float[] x, int batch, string what)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < m.Rows; i++)
            {
                double magnitude = 0;
                for (int j = 0; j < m.Cols; j++)
                {
                    magnitude += Math.Abs(m.Values[(i * m.Cols) + j] * (double)x[(b * m.Cols) + j]);
                }

                double e = expected[(b * m.Rows) + i];
                double tolerance = (m.Scales[i] * magnitude * (m.Cols + 2) * 6e-8) + (Math.Abs(e) * 1.2e-7) + 1e-30;
                double got = actual[(b * m.Rows) + i];
                Assert.True(Math.Abs(got - e) <= tolerance, $"{what}: [{b}, {i}] expected {e}, got {got} (tolerance {tolerance})");
            }
        }
    }
}
