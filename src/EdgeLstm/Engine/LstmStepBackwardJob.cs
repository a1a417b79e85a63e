using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// One backward time step of one LSTM layer: dh_t += dG_{t+1}·W_hh (the gradient the next step sends back through h),
/// then the cell's backward. Split by batch rows like <see cref="LstmStepForwardJob"/>.
/// </summary>
internal sealed unsafe class LstmStepBackwardJob : IParallelJob
{
    private float* _dGatesNext, _recurrent, _dh, _gates, _cPrev, _tanhC, _dc, _dGates;
    private int _batch, _hidden;
    private SimdWidth _width;

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
        (_batch, _hidden, _width) = (batch, hidden, context.Width);
        if (context.SplitsRows(batch, (long)batch * 4 * hidden * hidden))
        {
            context.Run(this);
        }
        else
        {
            if (dGatesNext != null)
            {
                context.Product(MatMulForm.AB, dGatesNext, 4 * hidden, recurrent, hidden, dh, hidden, batch, hidden, 4 * hidden, true);
            }

            LstmCell.Backward(gates, cPrev, tanhC, dh, dc, dGates, hidden, 0, batch);
        }
    }

    public void Execute(int part, int parts)
    {
        var (start, end) = RowRange.Of(_batch, part, parts);
        if (_dGatesNext != null)
        {
            MatMulJob.ComputeRange(MatMulForm.AB, _dGatesNext, 4 * _hidden, _recurrent, _hidden, _dh, _hidden, start, end, 0, _hidden, 4 * _hidden, true, _width);
        }

        LstmCell.Backward(_gates, _cPrev, _tanhC, _dh, _dc, _dGates, _hidden, start, end);
    }
}
