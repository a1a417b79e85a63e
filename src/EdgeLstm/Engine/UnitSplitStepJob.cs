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
/// Inference only. Every product keeps its depth order whatever the column cut, and the cell is element-wise, so the
/// values match the one-thread path (the tests compare them); training keeps its row split all the same, so that its
/// bits never depend on which of the two paths a thread count picked.
/// </remarks>
internal sealed unsafe class UnitSplitStepJob : IParallelJob
{
    private CellKind _cell;
    private int _batch, _hidden, _gates, _align;
    private float* _x, _hPrev, _gatesOut, _recurrent, _bias, _cPrev, _c, _tanhC, _h;
    private WeightMatrix _inputT, _recurrentT;
    private Simd.SimdWidth _width;

    /// <summary>Steps run split by units so far; lets the tests prove that they exercised this path.</summary>
    internal long StepsRun { get; private set; }

    /// <summary>
    /// True when the steps of <paramref name="f"/> go better split by units: inference, more than one thread, too few
    /// rows to split, enough work, and unit slices that cut the weights' panels at panel edges.
    /// </summary>
    public static bool Applies(ComputeContext context, in LayerActivations f, int gates, WeightMatrix inputT, WeightMatrix recurrentT)
    {
        int h = f.Hidden;
        long work = (long)f.Batch * gates * h * (h + (f.Steps == 1 ? f.InputSize : 0));
        int align = Alignment(inputT, recurrentT);
        bool panelEdges = h % align == 0;
        // An int8 model's products have their own row split (Int8Product): this path reads fp32 weights only.
        bool fp32 = inputT.Int8 is null && recurrentT.Int8 is null;
        return fp32 && !f.KeepAllSteps && context.Threads > 1 && !context.SplitsRows(f.Batch, work) && panelEdges
            && h >= align * context.Threads && work >= ComputeContext.ParallelThreshold / 4;
    }

    /// <summary>Where a unit slice may start: at a panel edge of both weights (1 when both are row-major).</summary>
    private static int Alignment(WeightMatrix inputT, WeightMatrix recurrentT) => Math.Max(inputT.ColumnAlignment, recurrentT.ColumnAlignment);

    /// <summary>
    /// Step <paramref name="t"/> of <paramref name="f"/>. With <paramref name="withInput"/> the step also computes its
    /// own input projection (a one-step pass, where there is no sequence-wide product to do it); otherwise the gates
    /// already hold it.
    /// </summary>
    public void Run(ComputeContext context, CellKind cell, in LayerActivations f, int t, bool withInput, WeightMatrix inputT, WeightMatrix recurrentT, float* bias)
    {
        _cell = cell;
        _batch = f.Batch;
        _hidden = f.Hidden;
        _gates = cell == CellKind.Lstm ? 4 : 3;
        _align = Alignment(inputT, recurrentT);
        _x = withInput ? f.Input + (t * (long)f.Batch * f.InputSize) : null;
        _inputT = inputT;
        _recurrentT = recurrentT;
        _hPrev = t == 0 ? f.H0 : f.OutputAt(t - 1);
        long gateFloats = (long)f.Batch * _gates * f.Hidden;
        _gatesOut = f.Gates + (t * gateFloats);
        _recurrent = f.Recurrent;
        _bias = bias;
        _cPrev = t == 0 ? f.C0 : f.CellAt(t - 1);
        _c = cell == CellKind.Lstm ? f.CellAt(t) : null;
        _tanhC = cell == CellKind.Lstm ? f.TanhCellAt(t) : f.HiddenNAt(t);
        _h = f.OutputAt(t);
        _width = context.Width;
        StepsRun++;
        context.Run(this);
    }

    public void Execute(int part, int parts)
    {
        int chunks = (_hidden + _align - 1) / _align;
        int u0 = Math.Min((int)((long)chunks * part / parts) * _align, _hidden);
        int u1 = Math.Min((int)((long)chunks * (part + 1) / parts) * _align, _hidden);
        if (u0 >= u1)
        {
            return;
        }

        int columns = _gates * _hidden;
        bool lstm = _cell == CellKind.Lstm;
        for (int g = 0; g < _gates; g++)
        {
            int first = (g * _hidden) + u0, last = (g * _hidden) + u1;
            if (_x != null)
            {
                MatMulJob.ComputeRange(_inputT.Form, _x, _inputT.Rows, _inputT.Data, _inputT.Ldb, _gatesOut, columns, 0, _batch, first, last, _inputT.Rows, false, _width);
            }

            if (_hPrev != null)
            {
                // An LSTM adds h·W_hhᵀ to the gates; a GRU keeps it apart (its n gate scales it by r).
                MatMulJob.ComputeRange(_recurrentT.Form, _hPrev, _hidden, _recurrentT.Data, _recurrentT.Ldb, lstm ? _gatesOut : _recurrent, columns, 0, _batch, first, last, _hidden, lstm, _width);
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
