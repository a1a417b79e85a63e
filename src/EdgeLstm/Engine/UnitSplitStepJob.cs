using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// One forward time step of a recurrent layer whose batch is too small to share by rows (batch-1 inference, a stream
/// step), shared by hidden units instead: part p always owns the same units and computes the gate columns of those
/// units only (its slice of h·W_hhᵀ, and in a one-step pass of x·W_ihᵀ too) and then the cell for them. The threads
/// share nothing but h, read between steps; the cell runs in the same parallel region as the product, so a step costs
/// one region. Each part reads a fixed 1/parts of W_hh, which for the recipe's layer (1 MB) is 512 KB: it stays in the
/// L2 of the core that runs the part, where one thread would stream the whole megabyte from L3 at every step.
/// </summary>
/// <remarks>
/// Inference only. Every fp32 product keeps its depth order whatever the column cut (an int8 one is an exact integer
/// sum, its rows quantised once on the caller), and the cell is element-wise, so the values match the one-thread path
/// (the tests compare them); training keeps its row split all the same, so that its
/// bits never depend on which of the two paths a thread count picked.
/// </remarks>
internal sealed unsafe class UnitSplitStepJob : IParallelJob
{
    /// <summary>The step's two products run in the same region, so each has its own quantised rows when its weights are int8.</summary>
    private readonly Int8ActivationBuffer _inputRows = new(), _hiddenRows = new();
    private CellKind _cell;
    private int _batch, _hidden, _gates, _align;
    private float* _hPrev, _gatesOut, _recurrent, _bias, _cPrev, _c, _tanhC, _h;
    private MatMulJob _inputProduct, _recurrentProduct;

    /// <summary>Steps run split by units so far; lets the tests prove that they exercised this path.</summary>
    internal long StepsRun { get; private set; }

    /// <summary>
    /// True when the steps of <paramref name="f"/> go better split by units: inference, more than one thread, too few
    /// rows to split, enough work (counted as <see cref="MatMulJob.Work"/> counts it, so int8 weights by their cost),
    /// and unit slices that cut the weights at the columns their products may be cut at.
    /// </summary>
    public static bool Applies(ComputeContext context, in LayerActivations f, WeightMatrix inputT, WeightMatrix recurrentT)
    {
        int h = f.Hidden;
        long work = recurrentT.Work(f.Batch) + (f.Steps == 1 ? inputT.Work(f.Batch) : 0);
        bool panelEdges = h % Math.Max(inputT.ColumnBlock, recurrentT.ColumnBlock) == 0;
        return !f.KeepAllSteps && context.Threads > 1 && !context.SplitsRows(f.Batch, work) && panelEdges
            && h >= WeightPanels.Width * context.Threads && work >= ComputeContext.ParallelThreshold / 4;
    }

    /// <summary>
    /// Step <paramref name="t"/> of <paramref name="f"/>. With <paramref name="withInput"/> the step also computes its
    /// own input projection (a one-step pass, where there is no sequence-wide product to do it); otherwise the gates
    /// already hold it.
    /// </summary>
    public void Run(ComputeContext context, CellKind cell, in LayerActivations f, int t, bool withInput, WeightMatrix inputT, WeightMatrix recurrentT, float* bias)
    {
        bool lstm = cell == CellKind.Lstm;
        _cell = cell;
        _batch = f.Batch;
        _hidden = f.Hidden;
        _gates = lstm ? 4 : 3;
        _align = f.Hidden % WeightPanels.Width == 0 ? WeightPanels.Width : 1;
        _hPrev = t == 0 ? f.H0 : f.OutputAt(t - 1);
        long gateFloats = (long)f.Batch * _gates * f.Hidden;
        _gatesOut = f.Gates + (t * gateFloats);
        _recurrent = f.Recurrent;
        _bias = bias;
        _cPrev = t == 0 ? f.C0 : f.CellAt(t - 1);
        _c = lstm ? f.CellAt(t) : null;
        _tanhC = lstm ? f.TanhCellAt(t) : f.HiddenNAt(t);
        _h = f.OutputAt(t);

        // An LSTM adds h·W_hhᵀ to the gates; a GRU keeps it apart (its n gate scales it by r). A null A skips a product.
        int columns = _gates * f.Hidden;
        float* x = withInput ? f.Input + (t * (long)f.Batch * f.InputSize) : null;
        _inputProduct = inputT.Product(x, inputT.Rows, _gatesOut, columns, f.Batch, accumulate: false);
        _recurrentProduct = recurrentT.Product(_hPrev, f.Hidden, lstm ? _gatesOut : _recurrent, columns, f.Batch, accumulate: lstm);
        context.Prepare(ref _inputProduct, _inputRows);
        context.Prepare(ref _recurrentProduct, _hiddenRows);
        StepsRun++;
        context.Run(this);
    }

    public void Execute(int part, int parts)
    {
        var (u0, u1) = BlockSplit.Of(_hidden, _align, part, parts);
        if (u0 >= u1)
        {
            return;
        }

        bool lstm = _cell == CellKind.Lstm;
        for (int g = 0; g < _gates; g++)
        {
            int first = (g * _hidden) + u0, last = (g * _hidden) + u1;
            if (_inputProduct.A != null)
            {
                _inputProduct.Compute(0, _batch, first, last);
            }

            if (_recurrentProduct.A != null)
            {
                _recurrentProduct.Compute(0, _batch, first, last);
            }
        }

        for (int r = 0; r < _batch; r++)
        {
            if (lstm)
            {
                LstmCell.Forward(_gatesOut, _bias, _cPrev, _c, _tanhC, _h, _hidden, r, u0, u1);
            }
            else
            {
                GruCell.Forward(_gatesOut, _hPrev == null ? null : _recurrent, _bias, _hPrev, _tanhC, _h, _hidden, r, u0, u1);
            }
        }
    }
}
