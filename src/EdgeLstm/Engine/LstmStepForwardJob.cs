using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// One forward time step of one LSTM layer: gates += h_prev·W_hhᵀ, then the cell. Each thread takes whole batch rows
/// and does both halves for them without waiting for the others, so a step costs one parallel region, not two.
/// </summary>
internal sealed unsafe class LstmStepForwardJob : IParallelJob
{
    private float* _gates, _bias, _hPrev, _cPrev, _c, _tanhC, _h;
    private WeightMatrix _recurrentT;
    private int _batch, _hidden;
    private SimdWidth _width;

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
        (_batch, _hidden, _width) = (batch, hidden, context.Width);
        if (context.SplitsRows(batch, (long)batch * 4 * hidden * hidden))
        {
            context.Run(this);
        }
        else
        {
            // Too few rows to share: split the product by columns instead, then run the cell on this thread.
            if (hPrev != null)
            {
                context.Product(hPrev, hidden, recurrentT, gates, batch, accumulate: true);
            }

            LstmCell.Forward(gates, bias, cPrev, c, tanhC, h, hidden, 0, batch);
        }
    }

    public void Execute(int part, int parts)
    {
        var (start, end) = RowRange.Of(_batch, part, parts);
        if (_hPrev != null)
        {
            MatMulJob.ComputeRange(_recurrentT.Form, _hPrev, _hidden, _recurrentT.Data, 4 * _hidden, _gates, 4 * _hidden, start, end, 0, 4 * _hidden, _hidden, true, _width);
        }

        LstmCell.Forward(_gates, _bias, _cPrev, _c, _tanhC, _h, _hidden, start, end);
    }
}
