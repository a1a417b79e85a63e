using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>
/// One backward time step of one LSTM layer: dh_t += dG_{t+1}·W_hh (the gradient the next step sends back through h),
/// then the cell's backward.
/// </summary>
internal sealed unsafe class LstmStepBackwardJob : StepJob
{
    private float* _dh, _gates, _cPrev, _tanhC, _dc, _dGates;
    private int _hidden;

    /// <param name="dGatesNext">[B×4H] gate gradients of step t+1, or null at the last step.</param>
    /// <param name="recurrent">W_hh [4H×H] (<see cref="BackwardRecurrentWeight"/>).</param>
    /// <param name="dh">[B×H] gradient reaching h_t from above; the recurrent part is added in place.</param>
    public void Run(ComputeContext context, int batch, int hidden, float* dGatesNext, WeightMatrix recurrent, float* dh, float* gates, float* cPrev, float* tanhC, float* dc, float* dGates)
    {
        _dh = dh;
        _gates = gates;
        _cPrev = cPrev;
        _tanhC = tanhC;
        _dc = dc;
        _dGates = dGates;
        _hidden = hidden;
        Run(context, Backward(dGatesNext, recurrent, dh, batch));
    }

    protected override void Cell(int start, int end) => LstmCell.Backward(_gates, _cPrev, _tanhC, _dh, _dc, _dGates, _hidden, start, end);
}
