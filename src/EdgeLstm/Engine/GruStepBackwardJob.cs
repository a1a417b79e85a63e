using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// One backward time step of one GRU layer: dh_t += dHH_{t+1}·W_hh (what step t+1 sends back through its hidden
/// projection; its direct path z∘dh was already added by that step's cell), then the cell's backward. Split by batch rows.
/// </summary>
internal sealed unsafe class GruStepBackwardJob : IParallelJob
{
    private float* _dHiddenNext, _recurrent, _dh, _dhPrev, _gates, _hn, _hPrev, _dGates, _dHiddenGates;
    private int _batch, _hidden;
    private SimdWidth _width;

    /// <param name="dHiddenNext">[B×3H] hidden-projection gradients of step t+1, or null at the last step.</param>
    /// <param name="recurrent">W_hh row-major [3H×H].</param>
    /// <param name="dh">[B×H] gradient reaching h_t; the recurrent part is added in place.</param>
    /// <param name="dhPrev">[B×H] gradient of h_{t−1}, which receives the direct path, or null at the first step.</param>
    public void Run(ComputeContext context, int batch, int hidden, float* dHiddenNext, float* recurrent, float* dh, float* dhPrev, float* gates, float* hn, float* hPrev, float* dGates, float* dHiddenGates)
    {
        _dHiddenNext = dHiddenNext;
        _recurrent = recurrent;
        _dh = dh;
        _dhPrev = dhPrev;
        _gates = gates;
        _hn = hn;
        _hPrev = hPrev;
        _dGates = dGates;
        _dHiddenGates = dHiddenGates;
        (_batch, _hidden, _width) = (batch, hidden, context.Width);
        if (context.SplitsRows(batch, (long)batch * 3 * hidden * hidden))
        {
            context.Run(this);
        }
        else
        {
            if (dHiddenNext != null)
            {
                context.Product(MatMulForm.AB, dHiddenNext, 3 * hidden, recurrent, hidden, dh, hidden, batch, hidden, 3 * hidden, true);
            }

            GruCell.Backward(gates, hn, hPrev, dh, dhPrev, dGates, dHiddenGates, hidden, 0, batch);
        }
    }

    public void Execute(int part, int parts)
    {
        var (start, end) = RowRange.Of(_batch, part, parts);
        if (_dHiddenNext != null)
        {
            MatMulJob.ComputeRange(MatMulForm.AB, _dHiddenNext, 3 * _hidden, _recurrent, _hidden, _dh, _hidden, start, end, 0, _hidden, 3 * _hidden, true, _width);
        }

        GruCell.Backward(_gates, _hn, _hPrev, _dh, _dhPrev, _dGates, _dHiddenGates, _hidden, start, end);
    }
}
