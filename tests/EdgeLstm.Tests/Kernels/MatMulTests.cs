using EdgeLstm.Engine;
using EdgeLstm.Kernels;
using EdgeLstm.Simd;

namespace EdgeLstm.Tests.Kernels;

/// <summary>Every product form, at every vector width this machine runs, against a plain double-precision loop.</summary>
public class MatMulTests
{
    private static readonly int[] Sizes = [1, 3, 17, 63, 257];

    static MatMulTests()
    {
        // Widths the processor lacks run in software emulation: every body is tested on every machine.
        SimdSupport.AllowEmulatedWidths = true;
    }

    /// <summary>All three widths, accelerated or not.</summary>
    public static TheoryData<SimdWidth> Widths()
    {
        SimdSupport.AllowEmulatedWidths = true;
        return [SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512];
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Products_match_the_scalar_reference_on_odd_shapes(SimdWidth width)
    {
        var rng = new Random(12345);
        using var context = new ComputeContext(2, width);
        int checkedShapes = 0;
        foreach (int m in Sizes)
        {
            foreach (int n in Sizes)
            {
                foreach (int k in new[] { 1, 3, 17, 63 })
                {
                    foreach (bool accumulate in new[] { false, true })
                    {
                        CheckShape(rng, m, n, k, accumulate, width, (m + n + k) % 2 == 0 ? context : null);
                        checkedShapes++;
                    }
                }
            }
        }

        Assert.Equal(5 * 5 * 4 * 2, checkedShapes);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Large_shapes_of_the_recipe_match_the_reference(SimdWidth width)
    {
        var rng = new Random(7);
        using var context = new ComputeContext(3, width);
        CheckShape(rng, 64, 1024, 256, true, width, context);
        CheckShape(rng, 257, 1024, 28, false, width, context);
        CheckShape(rng, 5, 256, 1024, false, width, context);

        // On one thread: more rows than one 512-bit row panel holds (256), a depth of three chunks (128, 128, 44) and
        // columns that end in a narrow tail, so every panel and chunk boundary of the packed path is crossed.
        CheckShape(rng, 300, 200, 300, true, width, null);
    }

    [Fact]
    public void Thread_count_does_not_change_a_single_bit()
    {
        var rng = new Random(99);
        int m = 67, n = 301, k = 129;
        var a = Random(rng, m * k);
        var b = Random(rng, k * n);
        var bt = Random(rng, n * k);
        var reference = new float[m * n];
        MatMul.Multiply(a, b, reference, m, n, k);
        var referenceT = new float[m * n];
        MatMul.MultiplyTransposedB(a, bt, referenceT, m, n, k);
        foreach (int threads in new[] { 2, 3, 4 })
        {
            using var context = new ComputeContext(threads);
            var c = new float[m * n];
            context.Product(MatMulForm.AB, a, b, c, m, n, k, false);
            Assert.Equal(reference, c);
            context.Product(MatMulForm.ABt, a, bt, c, m, n, k, false);
            Assert.Equal(referenceT, c);
        }
    }

    [Fact]
    public void Short_spans_are_rejected_with_a_message()
    {
        var ex = Assert.Throws<ArgumentException>(() => MatMul.Multiply(new float[5], new float[6], new float[4], 2, 2, 3));
        Assert.Contains("needs 6", ex.Message, StringComparison.Ordinal);
    }

    private static void CheckShape(Random rng, int m, int n, int k, bool accumulate, SimdWidth width, ComputeContext? context)
    {
        var a = Random(rng, m * k);
        var at = Transpose(a, m, k);
        var b = Random(rng, k * n);
        var bt = Transpose(b, k, n);
        var initial = Random(rng, m * n);
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? initial[(i * n) + j] : 0;
                for (int p = 0; p < k; p++)
                {
                    s += (double)a[(i * k) + p] * b[(p * n) + j];
                }

                expected[(i * n) + j] = s;
            }
        }

        var c = (float[])initial.Clone();
        Product(MatMulForm.AB, a, b, c, m, n, k, accumulate, width, context);
        AssertClose(expected, c, k, $"A·B {m}×{n}×{k} acc={accumulate} {width}");
        c = (float[])initial.Clone();
        Product(MatMulForm.AtB, at, b, c, m, n, k, accumulate, width, context);
        AssertClose(expected, c, k, $"Aᵀ·B {m}×{n}×{k} acc={accumulate} {width}");
        c = (float[])initial.Clone();
        Product(MatMulForm.ABt, a, bt, c, m, n, k, accumulate, width, context);
        AssertClose(expected, c, k, $"A·Bᵀ {m}×{n}×{k} acc={accumulate} {width}");
    }

    /// <summary>The public single-thread product, or the engine's split one when a context is given.</summary>
    private static void Product(MatMulForm form, float[] a, float[] b, float[] c, int m, int n, int k, bool accumulate, SimdWidth width, ComputeContext? context)
    {
        if (context is not null)
        {
            context.Product(form, a, b, c, m, n, k, accumulate);
        }
        else if (form == MatMulForm.AB)
        {
            MatMul.Multiply(a, b, c, m, n, k, accumulate, width);
        }
        else if (form == MatMulForm.AtB)
        {
            MatMul.MultiplyTransposedA(a, b, c, m, n, k, accumulate, width);
        }
        else
        {
            MatMul.MultiplyTransposedB(a, b, c, m, n, k, accumulate, width);
        }
    }

    private static void AssertClose(double[] expected, float[] actual, int k, string what)
    {
        // Each term is below 1 in magnitude; float32 accumulation of k terms errs by about k·2⁻²⁴ in the worst case.
        double tolerance = 1e-6 * (k + 2);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= tolerance, $"{what}: element {i} is {actual[i]}, expected {expected[i]} (error {error:G3} > {tolerance:G3})");
        }
    }

    internal static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return x;
    }

    private static float[] Transpose(float[] x, int rows, int cols)
    {
        var t = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = x[(r * cols) + c];
            }
        }

        return t;
    }
}
