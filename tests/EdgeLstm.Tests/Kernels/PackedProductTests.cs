using EdgeLstm.Kernels;
using EdgeLstm.Simd;

namespace EdgeLstm.Tests.Kernels;

/// <summary>
/// The 512-bit products of eight rows or more copy B into packed 64-column slices (MatMulKernel.ComputePacked); one
/// row at a time never does. Both must give the same bits, or training would differ with the batch split across
/// threads; and both must match the reference (MatMulTests covers the values, these the bits).
/// </summary>
public class PackedProductTests
{
    static PackedProductTests()
    {
        SimdSupport.AllowEmulatedWidths = true;
    }

    [Theory]
    [InlineData(8, 64, 1, false)]       // one tile, the smallest packed product
    [InlineData(64, 1024, 256, true)]   // the recurrent product at batch 64: two depth chunks
    [InlineData(67, 200, 300, false)]   // leftover rows, leftover columns (200 = 3 × 64 + 8), three depth chunks
    [InlineData(100, 2048, 129, true)]  // wide C: panels of 32 rows, so several panels
    [InlineData(9, 70, 17, true)]       // one full tile and 6 narrow columns
    public void Packed_and_row_by_row_products_are_bit_identical(int m, int n, int k, bool accumulate)
    {
        var rng = new Random(m + n + k);
        var a = MatMulTests.Random(rng, m * k);
        var b = MatMulTests.Random(rng, k * n);
        var initial = MatMulTests.Random(rng, m * n);
        foreach (bool transposedA in new[] { false, true })
        {
            var whole = (float[])initial.Clone();
            Product(transposedA, a, b, whole, m, n, k, accumulate);

            // Row by row: the same product one row at a time (never packed), from a copy of that row of A.
            var byRow = (float[])initial.Clone();
            for (int i = 0; i < m; i++)
            {
                var row = new float[k];
                for (int p = 0; p < k; p++)
                {
                    row[p] = a[(i * k) + p];
                }

                var c = byRow.AsSpan(i * n, n);
                if (transposedA)
                {
                    MatMul.MultiplyTransposedA(row, b, c, 1, n, k, accumulate, width: SimdWidth.Vector512);
                }
                else
                {
                    MatMul.Multiply(row, b, c, 1, n, k, accumulate, width: SimdWidth.Vector512);
                }
            }

            for (int i = 0; i < whole.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(whole[i]) == BitConverter.SingleToInt32Bits(byRow[i]), $"{(transposedA ? "Aᵀ·B" : "A·B")} {m}×{n}×{k}: element {i} is {whole[i]:R} packed, {byRow[i]:R} row by row");
            }
        }
    }

    /// <summary>
    /// Wide panels only where 512-bit kernels run and every hidden size is whole wide panels (a step split by units
    /// cuts each gate's block at a panel edge); narrow ones where the columns fill them; row-major otherwise.
    /// </summary>
    [Fact]
    public void The_panel_width_follows_the_machine_and_the_hidden_sizes()
    {
        int wide = SimdSupport.Resolve(SimdWidth.Auto) == SimdWidth.Vector512 ? WeightPanels.Wide : WeightPanels.Narrow;
        Assert.Equal(wide, WeightPanels.PreferredWidth([256, 128], [1024, 512]));
        Assert.Equal(WeightPanels.Narrow, WeightPanels.PreferredWidth([256, 208], [1024, 832])); // 4·208 fills 64-column panels, 208 units do not
        Assert.Equal(WeightPanels.Narrow, WeightPanels.PreferredWidth([48], [144]));
        Assert.Equal(0, WeightPanels.PreferredWidth([256, 10], [1024, 40]));
    }

    /// <summary>The panel widths a model's weights may be packed at, whatever the machine picks.</summary>
    public static TheoryData<SimdWidth, int> WidthsAndPanels()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (var row in MatMulTests.Widths())
        {
            data.Add(row, WeightPanels.Narrow);
            data.Add(row, WeightPanels.Wide);
        }

        return data;
    }

    /// <summary>
    /// Weights stored as panels (the forward products of inference) give the bits of the row-major product at every
    /// width and either panel width: at 512 bits one wide panel, or four narrow ones side by side, feed one 64-column
    /// tile, with leftover panels one at a time; 200 rows make two row blocks (MatMulKernel.PanelGroupRows); read last
    /// panel to first (alternate steps of batch-1 inference), the same bits again. Column counts are whole panels.
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthsAndPanels))]
    public unsafe void Panel_products_are_bit_identical_to_row_major_ones(SimdWidth width, int panelWidth)
    {
        var rng = new Random(5);
        int shapes = 0;
        foreach (int m in new[] { 1, 2, 5, 64, 200 })
        {
            foreach (int n in panelWidth == WeightPanels.Wide ? new[] { 64, 128, 192, 320, 1024 } : new[] { 16, 48, 64, 80, 1024 })
            {
                foreach (int k in new[] { 1, 17, 300 })
                {
                    var a = MatMulTests.Random(rng, m * k);
                    var b = MatMulTests.Random(rng, k * n);
                    var panels = new float[k * n];
                    WeightPanels.Pack(b, k, n, panelWidth, panels);
                    var initial = MatMulTests.Random(rng, m * n);
                    foreach (bool accumulate in new[] { false, true })
                    {
                        var rowMajor = (float[])initial.Clone();
                        var fromPanels = (float[])initial.Clone();
                        var descending = (float[])initial.Clone();
                        fixed (float* pa = a, pb = b, pp = panels, pc = rowMajor, pq = fromPanels, pd = descending)
                        {
                            MatMulJob.ComputeRange(MatMulForm.AB, pa, k, pb, n, pc, n, 0, m, 0, n, k, accumulate, width);
                            MatMulJob.ComputeRange(MatMulForm.ABPanels, pa, k, pp, panelWidth, pq, n, 0, m, 0, n, k, accumulate, width);
                            MatMulJob.ComputeRange(MatMulForm.ABPanels, pa, k, pp, panelWidth, pd, n, 0, m, 0, n, k, accumulate, width, descending: true);
                        }

                        for (int i = 0; i < rowMajor.Length; i++)
                        {
                            Assert.True(BitConverter.SingleToInt32Bits(rowMajor[i]) == BitConverter.SingleToInt32Bits(fromPanels[i]), $"{width} panels of {panelWidth} {m}×{n}×{k} acc={accumulate}: element {i} is {fromPanels[i]:R} from panels, {rowMajor[i]:R} row-major");
                            Assert.True(BitConverter.SingleToInt32Bits(rowMajor[i]) == BitConverter.SingleToInt32Bits(descending[i]), $"{width} panels of {panelWidth} {m}×{n}×{k} acc={accumulate}: element {i} is {descending[i]:R} from panels read last to first, {rowMajor[i]:R} row-major");
                        }

                        shapes++;
                    }
                }
            }
        }

        Assert.Equal(5 * 5 * 3 * 2, shapes);
    }

    private static void Product(bool transposedA, float[] a, float[] b, float[] c, int m, int n, int k, bool accumulate)
    {
        // For Aᵀ·B the same values of A are laid out [k×m].
        if (transposedA)
        {
            var at = new float[m * k];
            for (int i = 0; i < m; i++)
            {
                for (int p = 0; p < k; p++)
                {
                    at[(p * m) + i] = a[(i * k) + p];
                }
            }

            MatMul.MultiplyTransposedA(at, b, c, m, n, k, accumulate, width: SimdWidth.Vector512);
        }
        else
        {
            MatMul.Multiply(a, b, c, m, n, k, accumulate, width: SimdWidth.Vector512);
        }
    }
}
