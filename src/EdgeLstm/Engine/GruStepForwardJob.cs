using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// One forward time step of one GRU layer: hh = h_prev·W_hhᵀ, then the cell. Each thread takes whole batch rows and
/// does both halves for them, so a step costs one parallel region, as <see cref="LstmStepForwardJob"/>.
/// </summary>
internal sealed unsafe class GruStepForwardJob : IParallelJob
{
    private float* _gates, _bias, _hPrev, _recurrent, _hn, _h;
    private WeightMatrix _recurrentT;
    private int _batch, _hidden;
    private SimdWidth _width;

    /// <param name="gates">[B×3H] input projection of this step, turned into r, z, n in place.</param>
    /// <param name="hPrev">[B×H] previous output, or null for a zero state (the product is skipped).</param>
    /// <param name="recurrent">[B×3H] scratch for h_prev·W_hhᵀ.</param>
    public void Run(ComputeContext context, int batch, int hidden, float* gates, float* bias, float* hPrev, WeightMatrix recurrentT, float* recurrent, float* hn, float* h)
    {
        _gates = gates;
        _bias = bias;
        _hPrev = hPrev;
        _recurrentT = recurrentT;
        _recurrent = recurrent;
        _hn = hn;
        _h = h;
        (_batch, _hidden, _width) = (batch, hidden, context.Width);
        if (context.SplitsRows(batch, (long)batch * 3 * hidden * hidden))
        {
            context.Run(this);
        }
        else
        {
            if (hPrev != null)
            {
                context.Product(hPrev, hidden, recurrentT, recurrent, batch, accumulate: false);
            }

            GruCell.Forward(gates, hPrev == null ? null : recurrent, bias, hPrev, hn, h, hidden, 0, batch);
        }
    }

    public void Execute(int part, int parts)
    {
        var (start, end) = RowRange.Of(_batch, part, parts);
        if (_hPrev != null)
        {
            MatMulJob.ComputeRange(_recurrentT.Form, _hPrev, _hidden, _recurrentT.Data, 3 * _hidden, _recurrent, 3 * _hidden, start, end, 0, 3 * _hidden, _hidden, false, _width);
        }

        GruCell.Forward(_gates, _hPrev == null ? null : _recurrent, _bias, _hPrev, _hn, _h, _hidden, start, end);
    }
}
