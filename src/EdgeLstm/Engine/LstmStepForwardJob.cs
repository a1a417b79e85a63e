using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>One forward time step of one LSTM layer: gates += h_prev·W_hhᵀ, then the cell.</summary>
internal sealed unsafe class LstmStepForwardJob : StepJob
{
    private float* _gates, _bias, _hPrev, _cPrev, _c, _tanhC, _h;
    private WeightMatrix _recurrentT;
    private int _hidden;

    /// <param name="gates">[B×4H] input projection of this step, turned into gate activations in place.</param>
    /// <param name="hPrev">[B×H] previous output, or null for a zero state (the product is skipped).</param>
    /// <param name="recurrentT">W_hhᵀ [H×4H].</param>
    public void Run(ComputeContext context, int batch, int hidden, float* gates, float* bias, float* hPrev, float* cPrev, WeightMatrix recurrentT, float* c, float* tanhC, float* h)
    {
        _gates = gates;
        _bias = bias;
        _hPrev = hPrev;
        _cPrev = cPrev;
        _recurrentT = recurrentT;
        _c = c;
        _tanhC = tanhC;
        _h = h;
        _hidden = hidden;
        Run(context, batch, (long)batch * 4 * hidden * hidden);
    }

    protected override void Product(ComputeContext context)
    {
        if (_hPrev != null)
        {
            context.Product(_hPrev, _hidden, _recurrentT, _gates, Batch, accumulate: true);
        }
    }

    protected override void ProductRows(int start, int end)
    {
        if (_hPrev != null)
        {
            MatMulJob.ComputeRange(_recurrentT.Form, _hPrev, _hidden, _recurrentT.Data, 4 * _hidden, _gates, 4 * _hidden, start, end, 0, 4 * _hidden, _hidden, true, Width);
        }
    }

    protected override void Cell(int start, int end) => LstmCell.Forward(_gates, _bias, _cPrev, _c, _tanhC, _h, _hidden, start, end);
}
