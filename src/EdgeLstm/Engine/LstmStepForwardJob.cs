using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>One forward time step of one LSTM layer: gates += h_prev·W_hhᵀ, then the cell.</summary>
internal sealed unsafe class LstmStepForwardJob : StepJob
{
    private float* _gates, _bias, _cPrev, _c, _tanhC, _h;
    private int _hidden;

    /// <param name="gates">[B×4H] input projection of this step, turned into gate activations in place.</param>
    /// <param name="hPrev">[B×H] previous output, or null for a zero state (the product is skipped).</param>
    /// <param name="recurrentT">W_hhᵀ [H×4H].</param>
    /// <param name="descending">Read W_hh's columns last to first (alternate steps; see <see cref="MatMulJob.ComputeRange"/>).</param>
    public void Run(ComputeContext context, int batch, int hidden, float* gates, float* bias, float* hPrev, float* cPrev, WeightMatrix recurrentT, float* c, float* tanhC, float* h, bool descending)
    {
        _gates = gates;
        _bias = bias;
        _cPrev = cPrev;
        _c = c;
        _tanhC = tanhC;
        _h = h;
        _hidden = hidden;
        Run(context, recurrentT.Product(hPrev, hidden, gates, recurrentT.Columns, batch, accumulate: true, descending));
    }

    protected override void Cell(int start, int end) => LstmCell.Forward(_gates, _bias, _cPrev, _c, _tanhC, _h, _hidden, start, end);
}
