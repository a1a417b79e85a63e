using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>One forward time step of one GRU layer: hh = h_prev·W_hhᵀ (kept apart from the input projection), then the cell.</summary>
internal sealed unsafe class GruStepForwardJob : StepJob
{
    private float* _gates, _bias, _hPrev, _recurrent, _hn, _h;
    private int _hidden;

    /// <param name="gates">[B×3H] input projection of this step, turned into r, z, n in place.</param>
    /// <param name="hPrev">[B×H] previous output, or null for a zero state (the product is skipped).</param>
    /// <param name="recurrent">[B×3H] scratch for h_prev·W_hhᵀ.</param>
    /// <param name="descending">Read W_hh's columns last to first (alternate steps; see <see cref="MatMulJob.ComputeRange"/>).</param>
    public void Run(ComputeContext context, int batch, int hidden, float* gates, float* bias, float* hPrev, WeightMatrix recurrentT, float* recurrent, float* hn, float* h, bool descending)
    {
        _gates = gates;
        _bias = bias;
        _hPrev = hPrev;
        _recurrent = recurrent;
        _hn = hn;
        _h = h;
        _hidden = hidden;
        Run(context, recurrentT.Product(hPrev, hidden, recurrent, recurrentT.Columns, batch, accumulate: false, descending));
    }

    protected override void Cell(int start, int end) => GruCell.Forward(_gates, _hPrev == null ? null : _recurrent, _bias, _hPrev, _hn, _h, _hidden, start, end);
}
