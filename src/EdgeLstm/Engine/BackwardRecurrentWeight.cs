using EdgeLstm.Kernels;
using EdgeLstm.Simd;

namespace EdgeLstm.Engine;

/// <summary>
/// W_hh [G·H×H] as the backward steps read it (dh_t += dG_{t+1}·W_hh). Where 512-bit kernels run and H is whole
/// 64-column panels, it is copied once per layer into 64-column panels (<see cref="WeightPanels.Wide"/>) in the layer's
/// weight-gradient scratch, which nothing uses until the steps are done. Read row-major, the packed product copies
/// every 128-deep slice of W_hh again at every step, from L3 (W_hh is 1 MB, as large as L2): in place the recipe's
/// backward step ran at 84–86 % of the peak, against 90–92 % from panels (perf/README.md). Elsewhere the model's W_hh
/// is read as it is (at 256 bits the row-major product measured faster). Every element is the same chain of
/// multiply-adds either way: the same bits.
/// </summary>
internal static unsafe class BackwardRecurrentWeight
{
    /// <param name="weightHh">W_hh row-major [G·H×H], as the model stores it.</param>
    /// <param name="scratch">At least G·H×H floats, free until the layer's steps are done.</param>
    public static WeightMatrix Of(ComputeContext context, float* weightHh, int gates, int hidden, float* scratch)
    {
        int rows = gates * hidden;
        if (context.Width != SimdWidth.Vector512 || hidden % WeightPanels.Wide != 0)
        {
            return new WeightMatrix(MatMulForm.AB, weightHh, rows, hidden);
        }

        WeightPanels.Pack(new ReadOnlySpan<float>(weightHh, rows * hidden), rows, hidden, WeightPanels.Wide, new Span<float>(scratch, rows * hidden));
        return new WeightMatrix(MatMulForm.ABPanels, scratch, rows, hidden, WeightPanels.Wide);
    }
}
