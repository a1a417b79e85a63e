using System.Diagnostics;
using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// The forward time steps of a recurrent layer whose batch is too small to share by rows (batch-1 inference, a stream
/// step), shared by hidden units instead: part p always owns the same units and computes the gate columns of those
/// units only (its slice of h·W_hhᵀ, and in a one-step pass of x·W_ihᵀ too) and then the cell for them. Each part reads
/// a fixed 1/parts of W_hh, which for the recipe's layer (1 MB) is 512 KB: it stays in the L2 of the core that runs the
/// part, where one thread would stream the whole megabyte from L3 at every step.
/// </summary>
/// <remarks>
/// <para>
/// The whole sequence runs in one parallel region. Between steps the parts share only h, so the only wait is the one
/// the data needs: before step t a part waits until every part has published step t−1 (a counter per part, each on its
/// own cache line, written by whoever computed that part). A region per step instead costs the pool's wake-up, claim
/// and completion round trips between the cores at every step, about a microsecond each time on Zen 5.
/// </para>
/// <para>
/// A part is claimed step by step. A thread claims its own part's next step at once, and another part's only after
/// that part has kept it waiting 2 µs, and from then on at once until that part's thread claims a step again: a
/// worker that the OS has not scheduled (a busy machine), or that the pool has not woken yet, costs the others a few
/// microseconds per region, not a time slice, and one thread alone finishes the sequence (the tests run it that way).
/// </para>
/// <para>
/// Inference only. Every product keeps its depth order whatever the column cut, and the cell is element-wise, so the
/// values match the one-thread path whichever thread computes a part (the tests compare them); training keeps its row
/// split all the same, so that its bits never depend on which of the two paths a thread count picked.
/// </para>
/// </remarks>
internal sealed unsafe class UnitSplitStepJob : IParallelJob
{
    // How long a part may keep the others waiting without having claimed its step before one of them takes it over.
    // Every part leaves the same wait at the start of a step, and a thread checks the others only after its own step
    // (~3 µs for the recipe's layers), so a running owner has claimed long before; one that has not is not running.
    private static readonly long StealAfterTicks = Math.Max(1, Stopwatch.Frequency * 2 / 1_000_000);

    // Parts at most (threads); counters a cache line (16 ints) apart so that publishing one does not evict another.
    private const int MaxParts = 64;
    private const int CounterStride = 16;

    private readonly int[] _claimed = new int[MaxParts * CounterStride];
    private readonly int[] _published = new int[MaxParts * CounterStride];

    // Set when a part's step had to be taken over: its thread is likely still away, so its next steps are taken at
    // once, without waiting again, until it claims one itself. A hint only: a wrong guess costs time, never values.
    private readonly bool[] _away = new bool[MaxParts];
    private CellKind _cell;
    private int _batch, _hidden, _gates, _align, _steps;
    private LayerActivations _f;
    private bool _withInput;
    private float* _recurrent, _bias;
    private WeightMatrix _inputT, _recurrentT;
    private Simd.SimdWidth _width;
    private long _stepsTakenOver;

    /// <summary>Steps run split by units so far; lets the tests prove that they exercised this path.</summary>
    internal long StepsRun { get; private set; }

    /// <summary>Parts' steps computed by a thread that took them over from another part; for the tests.</summary>
    internal long StepsTakenOver => Volatile.Read(ref _stepsTakenOver);

    /// <summary>
    /// For the tests: the caller runs part 0 to the end, then part 1, and so on, as when the other threads never turn
    /// up; part 0 must then take every other part's steps over.
    /// </summary>
    internal bool PartsInTurnOnCaller { get; set; }

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
        return fp32 && !f.KeepAllSteps && context.Threads > 1 && context.Threads <= MaxParts && !context.SplitsRows(f.Batch, work)
            && panelEdges && h >= align * context.Threads && work >= ComputeContext.ParallelThreshold / 4;
    }

    /// <summary>Where a unit slice may start: at a panel edge of both weights (1 when both are row-major).</summary>
    private static int Alignment(WeightMatrix inputT, WeightMatrix recurrentT) => Math.Max(inputT.ColumnAlignment, recurrentT.ColumnAlignment);

    /// <summary>
    /// Every step of <paramref name="f"/>, one parallel region. With <paramref name="withInput"/> each step also
    /// computes its own input projection (a one-step pass, where there is no sequence-wide product to do it); otherwise
    /// the gates already hold it.
    /// </summary>
    public void Run(ComputeContext context, CellKind cell, in LayerActivations f, bool withInput, WeightMatrix inputT, WeightMatrix recurrentT, float* bias)
    {
        Prepare(context.Width, context.Threads, cell, f, withInput, inputT, recurrentT, bias);
        if (PartsInTurnOnCaller)
        {
            for (int part = 0; part < context.Threads; part++)
            {
                Execute(part, context.Threads);
            }
        }
        else
        {
            context.Run(this);
        }
    }

    private void Prepare(Simd.SimdWidth width, int parts, CellKind cell, in LayerActivations f, bool withInput, WeightMatrix inputT, WeightMatrix recurrentT, float* bias)
    {
        _cell = cell;
        _f = f;
        _batch = f.Batch;
        _hidden = f.Hidden;
        _steps = f.Steps;
        _gates = cell == CellKind.Lstm ? 4 : 3;
        _align = Alignment(inputT, recurrentT);
        _withInput = withInput;
        _inputT = inputT;
        _recurrentT = recurrentT;
        _recurrent = f.Recurrent;
        _bias = bias;
        _width = width;
        Array.Clear(_away, 0, parts);
        Array.Clear(_claimed, 0, parts * CounterStride);
        Array.Clear(_published, 0, parts * CounterStride);
        StepsRun += f.Steps;
    }

    public void Execute(int part, int parts)
    {
        for (int t = 0; t < _steps; t++)
        {
            // Step t reads every unit of h_{t−1}: wait for every part's step t−1 (each part's step t−2 is then done as
            // well, so nothing this step overwrites is still being read).
            for (int q = 0; q < parts; q++)
            {
                WaitFor(q, t, parts, stealable: false);
            }

            if (TryClaim(part, t))
            {
                Step(part, parts, t);
            }

            for (int q = 0; q < parts; q++)
            {
                WaitFor(q, t + 1, parts, stealable: true);
            }
        }
    }

    /// <summary>
    /// Waits until part <paramref name="q"/> has published <paramref name="steps"/> steps. With <paramref name="stealable"/>
    /// a step that nobody has claimed after a while is taken over and computed here.
    /// </summary>
    private void WaitFor(int q, int steps, int parts, bool stealable)
    {
        var spin = default(SpinWait);
        long since = 0;
        while (Volatile.Read(ref _published[q * CounterStride]) < steps)
        {
            if (stealable)
            {
                since = since == 0 ? Stopwatch.GetTimestamp() : since;
                if (!_away[q] && Stopwatch.GetTimestamp() - since < StealAfterTicks)
                {
                    Thread.SpinWait(1);
                    continue;
                }

                if (TryClaim(q, steps - 1))
                {
                    _away[q] = true;
                    Step(q, parts, steps - 1);
                    Interlocked.Increment(ref _stepsTakenOver);
                    return;
                }

                // Someone is computing it (its own thread, back): wait, without touching its claim again.
                _away[q] = false;
                stealable = false;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Claims step <paramref name="t"/> of part <paramref name="q"/>: true for exactly one thread.</summary>
    private bool TryClaim(int q, int t) => Interlocked.CompareExchange(ref _claimed[q * CounterStride], t + 1, t) == t;

    /// <summary>Step <paramref name="t"/> of part <paramref name="part"/>'s units, then publishes it.</summary>
    private void Step(int part, int parts, int t)
    {
        int chunks = (_hidden + _align - 1) / _align;
        int u0 = Math.Min((int)((long)chunks * part / parts) * _align, _hidden);
        int u1 = Math.Min((int)((long)chunks * (part + 1) / parts) * _align, _hidden);
        if (u0 < u1)
        {
            ComputeUnits(t, u0, u1);
        }

        Volatile.Write(ref _published[part * CounterStride], t + 1);
    }

    private void ComputeUnits(int t, int u0, int u1)
    {
        ref readonly var f = ref _f;
        float* x = _withInput ? f.Input + (t * (long)f.Batch * f.InputSize) : null;
        float* hPrev = t == 0 ? f.H0 : f.OutputAt(t - 1);
        float* gatesOut = f.Gates + (t * (long)f.Batch * _gates * f.Hidden);
        float* cPrev = t == 0 ? f.C0 : f.CellAt(t - 1);
        bool lstm = _cell == CellKind.Lstm;
        float* c = lstm ? f.CellAt(t) : null;
        float* tanhC = lstm ? f.TanhCellAt(t) : f.HiddenNAt(t);
        float* h = f.OutputAt(t);
        int columns = _gates * _hidden;
        for (int g = 0; g < _gates; g++)
        {
            int first = (g * _hidden) + u0, last = (g * _hidden) + u1;
            if (x != null)
            {
                MatMulJob.ComputeRange(_inputT.Form, x, _inputT.Rows, _inputT.Data, _inputT.Ldb, gatesOut, columns, 0, _batch, first, last, _inputT.Rows, false, _width);
            }

            if (hPrev != null)
            {
                // An LSTM adds h·W_hhᵀ to the gates; a GRU keeps it apart (its n gate scales it by r).
                MatMulJob.ComputeRange(_recurrentT.Form, hPrev, _hidden, _recurrentT.Data, _recurrentT.Ldb, lstm ? gatesOut : _recurrent, columns, 0, _batch, first, last, _hidden, lstm, _width);
            }
        }

        for (int r = 0; r < _batch; r++)
        {
            if (lstm)
            {
                LstmCell.Forward(gatesOut, _bias, cPrev, c, tanhC, h, _hidden, r, u0, u1);
            }
            else
            {
                GruCell.Forward(gatesOut, hPrev == null ? null : _recurrent, _bias, hPrev, tanhC, h, _hidden, r, u0, u1);
            }
        }

        f.HoldEndedSamples(t, u0, u1);
    }
}
