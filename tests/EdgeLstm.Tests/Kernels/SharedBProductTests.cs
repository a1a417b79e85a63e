using EdgeLstm.Kernels;
using EdgeLstm.Simd;

namespace EdgeLstm.Tests.Kernels;

/// <summary>
/// Two Aᵀ·B products over one B in one pass (<see cref="MatMulJob.A2"/>: a layer's dW_ih and dW_hh over its gate
/// gradients, the second starting Skip2 rows of B later) must give each product's own bits: training would otherwise
/// move with the pairing. Every width (emulated where the CPU lacks it), one pass or split into parts by columns or
/// by rows, packed or not (fewer than eight rows, or more than one pass takes), B's rows where the second starts before,
/// at and past a depth chunk's edge (128), and columns past the last whole tile. B's column sums, taken in the same
/// pass (an LSTM's bias gradient), must be RowSum's bits.
/// </summary>
public class SharedBProductTests
{
    static SharedBProductTests()
    {
        SimdSupport.AllowEmulatedWidths = true;
    }

    public static TheoryData<SimdWidth> Widths() => MatMulTests.Widths();

    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void Each_product_of_a_pair_has_the_bits_it_has_alone(SimdWidth width)
    {
        var rng = new Random(11);
        int cases = 0;
        foreach (var (m, m2) in new[] { (28, 256), (3, 4), (7, 37), (256, 256), (300, 300) })
        {
            foreach (int n in new[] { 64, 200, 1024 })
            {
                foreach (var (k, skip) in new[] { (1, 0), (144, 24), (300, 130), (129, 128), (200, 199) })
                {
                    if ((long)(m + m2) * n * k > 60_000_000)
                    {
                        continue;
                    }

                    var a = MatMulTests.Random(rng, k * m);
                    var a2 = MatMulTests.Random(rng, (k - skip) * m2);
                    var b = MatMulTests.Random(rng, k * n);
                    var initial = MatMulTests.Random(rng, m * n);
                    var initial2 = MatMulTests.Random(rng, m2 * n);
                    foreach (bool accumulate in new[] { false, true })
                    {
                        // Each alone, on the caller; B's column sums as the bias gradient was taken apart (RowSum).
                        var alone = (float[])initial.Clone();
                        var alone2 = (float[])initial2.Clone();
                        var sums = new float[n];
                        fixed (float* pa = a, pa2 = a2, pb = b, pc = alone, pc2 = alone2)
                        {
                            MatMulJob.ComputeRange(MatMulForm.AtB, pa, m, pb, n, pc, n, 0, m, 0, n, k, accumulate, width);
                            MatMulJob.ComputeRange(MatMulForm.AtB, pa2, m2, pb + ((long)skip * n), n, pc2, n, 0, m2, 0, n, k - skip, accumulate, width);
                            RowSum.Of(pb, k, sums);
                        }

                        foreach (int parts in new[] { 1, 2, 3 })
                        {
                            var paired = (float[])initial.Clone();
                            var paired2 = (float[])initial2.Clone();
                            var pairedSums = MatMulTests.Random(rng, n);
                            fixed (float* pa = a, pa2 = a2, pb = b, pc = paired, pc2 = paired2, ps = pairedSums)
                            {
                                var job = new MatMulJob
                                {
                                    Form = MatMulForm.AtB,
                                    A = pa,
                                    Lda = m,
                                    M = m,
                                    C = pc,
                                    A2 = pa2,
                                    Lda2 = m2,
                                    M2 = m2,
                                    Skip2 = skip,
                                    C2 = pc2,
                                    ColumnSums = ps,
                                    B = pb,
                                    Ldb = n,
                                    Ldc = n,
                                    N = n,
                                    K = k,
                                    Accumulate = accumulate,
                                    Width = width,
                                };
                                for (int part = 0; part < parts; part++)
                                {
                                    job.Execute(part, parts);
                                }
                            }

                            string what = $"{width} {m}+{m2} rows ×{n}, depth {k} (second from {skip}), acc={accumulate}, {parts} part(s)";
                            AssertSameBits(alone, paired, what + ", first product");
                            AssertSameBits(alone2, paired2, what + ", second product");
                            AssertSameBits(sums, pairedSums, what + ", B's column sums");
                            cases++;
                        }
                    }
                }
            }
        }

        Assert.True(cases >= 150, $"only {cases} cases ran");
    }

    /// <summary>The pair counts both products' multiply-adds, so the engine shares it between threads by its whole work.</summary>
    [Fact]
    public unsafe void A_pair_counts_the_work_of_both()
    {
        var job = new MatMulJob { Form = MatMulForm.AtB, M = 28, N = 1024, K = 1792, A2 = (float*)8, M2 = 256, Skip2 = 64 };
        Assert.Equal((28L * 1024 * 1792) + (256L * 1024 * 1728), job.Work);
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{what}: element {i} is {actual[i]:R} paired, {expected[i]:R} alone");
        }
    }
}
