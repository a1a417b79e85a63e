using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>
/// One backward time step of one LSTM layer: dh_t += dG_{t+1}·W_hh (the gradient the next step sends back through h),
/// then the cell's backward.
/// </summary>
internal sealed unsafe class LstmStepBackwardJob : StepJob
{
    private float* _dGatesNext, _recurrent, _dh, _gates, _cPrev, _tanhC, _dc, _dGates;
    private int _hidden;

    /// <param name="dGatesNext">[B×4H] gate gradients of step t+1, or null at the last step.</param>
    /// <param name="recurrent">W_hh row-major [4H×H].</param>
    /// <param name="dh">[B×H] gradient reaching h_t from above; the recurrent part is added in place.</param>
    public void Run(ComputeContext context, int batch, int hidden, float* dGatesNext, float* recurrent, float* dh, float* gates, float* cPrev, float* tanhC, float* dc, float* dGates)
    {
        _dGatesNext = dGatesNext;
        _recurrent = recurrent;
        _dh = dh;
        _gates = gates;
        _cPrev = cPrev;
        _tanhC = tanhC;
        _dc = dc;
        _dGates = dGates;
        _hidden = hidden;
        Run(context, batch, (long)batch * 4 * hidden * hidden);
    }

    protected override void Product(ComputeContext context)
    {
        if (_dGatesNext != null)
        {
            context.Product(MatMulForm.AB, _dGatesNext, 4 * _hidden, _recurrent, _hidden, _dh, _hidden, Batch, _hidden, 4 * _hidden, true);
        }
    }

    protected override void ProductRows(int start, int end)
    {
        if (_dGatesNext != null)
        {
            MatMulJob.ComputeRange(MatMulForm.AB, _dGatesNext, 4 * _hidden, _recurrent, _hidden, _dh, _hidden, start, end, 0, _hidden, 4 * _hidden, true, Width);
        }
    }

    protected override void Cell(int start, int end) => LstmCell.Backward(_gates, _cPrev, _tanhC, _dh, _dc, _dGates, _hidden, start, end);
}
