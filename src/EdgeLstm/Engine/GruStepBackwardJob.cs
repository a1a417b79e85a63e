using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>
/// One backward time step of one GRU layer: dh_t += dHH_{t+1}·W_hh (what step t+1 sends back through its hidden
/// projection; its direct path z∘dh was already added by that step's cell), then the cell's backward.
/// </summary>
internal sealed unsafe class GruStepBackwardJob : StepJob
{
    private float* _dh, _dhPrev, _gates, _hn, _hPrev, _dGates, _dHiddenGates;
    private int _hidden;

    /// <param name="dHiddenNext">[B×3H] hidden-projection gradients of step t+1, or null at the last step.</param>
    /// <param name="recurrent">W_hh [3H×H] (<see cref="BackwardRecurrentWeight"/>).</param>
    /// <param name="dh">[B×H] gradient reaching h_t; the recurrent part is added in place.</param>
    /// <param name="dhPrev">[B×H] gradient of h_{t−1}, which receives the direct path, or null at the first step.</param>
    public void Run(ComputeContext context, int batch, int hidden, float* dHiddenNext, WeightMatrix recurrent, float* dh, float* dhPrev, float* gates, float* hn, float* hPrev, float* dGates, float* dHiddenGates)
    {
        _dh = dh;
        _dhPrev = dhPrev;
        _gates = gates;
        _hn = hn;
        _hPrev = hPrev;
        _dGates = dGates;
        _dHiddenGates = dHiddenGates;
        _hidden = hidden;
        Run(context, Backward(dHiddenNext, recurrent, dh, batch));
    }

    protected override void Cell(int start, int end) => GruCell.Backward(_gates, _hn, _hPrev, _dh, _dhPrev, _dGates, _dHiddenGates, _hidden, start, end);
}
