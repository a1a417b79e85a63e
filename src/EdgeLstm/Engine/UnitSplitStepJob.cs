using System.Diagnostics;
using EdgeLstm.Diagnostics;
using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// The forward time steps of a recurrent layer whose batch is too small to share by rows (batch-1 inference, a stream
/// step), shared by hidden units instead: part p always owns the same units and computes the gate columns of those
/// units only (its slice of x·W_ihᵀ for every step, of h·W_hhᵀ at each step) and then the cell for them. The core that
/// reads a gate value is the one that wrote it: had the input projection been split by plain column ranges, half of
/// every part's gates would arrive from the other core's cache at every step. Each part reads
/// a fixed 1/parts of W_hh, which for the recipe's layer (1 MB) is 512 KB: it stays in the L2 of the core that runs the
/// part, where one thread would stream the whole megabyte from L3 at every step.
/// </summary>
/// <remarks>
/// <para>
/// With fp32 weights the whole sequence runs in one parallel region. Between steps the parts share only h, so the only
/// wait is the one the data needs: before step t a part waits until every part has published step t−1 (a counter per
/// part, each on its own cache line, written by whoever computed that part). A region per step instead costs the
/// pool's wake-up, claim and completion round trips between the cores at every step, about a microsecond each time on
/// Zen 5. With int8 weights each step is still its own region, because the caller quantises h_{t−1} once for every
/// part before the step.
/// </para>
/// <para>
/// In the one region a part is claimed step by step. A thread claims its own part's next step at once, and another
/// part's only after that part has kept it waiting 2 µs, and from then on at once until that part's thread claims a
/// step again: a worker that the OS has not scheduled (a busy machine), or that the pool has not woken yet, costs the
/// others a few microseconds per region, not a time slice, and one thread alone finishes the sequence (the tests run
/// it that way).
/// </para>
/// <para>
/// Inference only. Every fp32 product keeps its depth order whatever the column cut (an int8 one is an exact integer
/// sum, its rows quantised once on the caller), and the cell is element-wise, so the values match the one-thread path
/// whichever thread computes a part (the tests compare them); training keeps its row split all the same, so that its
/// bits never depend on which of the two paths a thread count picked.
/// </para>
/// </remarks>
internal sealed unsafe class UnitSplitStepJob : IParallelJob
{
    // How long a part may keep the others waiting without having claimed its step before one of them takes it over.
    // Every part leaves the previous step's wait together, and a thread checks the others only after its own step
    // (~3 µs for the recipe's layers; step 0, with the part's input projection, takes longer), so a running owner has
    // claimed long before; one that has not is not running.
    private static readonly long StealAfterTicks = Math.Max(1, Stopwatch.Frequency * 2 / 1_000_000);

    // How long to wait for a part that its thread is computing before yielding the processor to whatever else wants it.
    private static readonly long YieldAfterTicks = Math.Max(1, Stopwatch.Frequency * 100 / 1_000_000);

    // Parts at most (threads); counters a cache line (16 ints) apart so that publishing one does not evict another.
    private const int MaxParts = 64;
    private const int CounterStride = 16;

    private readonly int[] _claimed = new int[MaxParts * CounterStride];
    private readonly int[] _published = new int[MaxParts * CounterStride];

    // Set when a part's step had to be taken over: its thread is likely still away, so its next steps are taken at
    // once, without waiting again, until a take-over fails because it claimed one itself. A hint only: a wrong guess
    // costs time, never values.
    private readonly bool[] _away = new bool[MaxParts];

    /// <summary>A step's two int8 products run in the same region, so each has its own quantised rows.</summary>
    private readonly Int8ActivationBuffer _inputRows = new(), _hiddenRows = new();
    private CellKind _cell;
    private int _gates, _align, _stepAlone;
    private LayerActivations _f;
    private float* _bias;
    private WeightMatrix _inputT, _recurrentT;
    private Simd.SimdWidth _width;
    private MatMulJob _inputProduct, _recurrentProduct;
    private long _stepsTakenOver;

    // Set when a step threw: its part will never be published, so every waiting thread gives up instead of waiting
    // for it, and the pool hands the exception to the caller.
    private volatile bool _failed;

    /// <summary>Steps run split by units so far; lets the tests prove that they exercised this path.</summary>
    internal long StepsRun { get; private set; }

    /// <summary>Parts' steps computed by a thread that took them over from another part; for the tests.</summary>
    internal long StepsTakenOver => Volatile.Read(ref _stepsTakenOver);

    /// <summary>
    /// For the tests: the caller runs part 0 to the end, then part 1, and so on, as when the other threads never turn
    /// up; part 0 must then take every other part's steps over.
    /// </summary>
    internal bool PartsInTurnOnCaller { get; set; }

    /// <summary>For the tests: the fp32 step of this part that throws, whichever thread computes it (null: none).</summary>
    internal (int Part, int Step)? InjectedFailure { get; set; }

    /// <summary>
    /// True when the steps of <paramref name="f"/> go better split by units: inference, more than one thread, too few
    /// rows to split, enough work (counted as <see cref="MatMulJob.Work"/> counts it, so int8 weights by their cost),
    /// and unit slices that cut the weights at the columns their products may be cut at.
    /// </summary>
    public static bool Applies(ComputeContext context, in LayerActivations f, WeightMatrix inputT, WeightMatrix recurrentT)
    {
        int h = f.Hidden;
        long work = recurrentT.Work(f.Batch) + (f.Steps == 1 ? inputT.Work(f.Batch) : 0);
        int align = Alignment(inputT, recurrentT);
        return !f.KeepAllSteps && context.Threads > 1 && context.Threads <= MaxParts && !context.SplitsRows(f.Batch, work)
            && h % align == 0 && h >= Math.Max(align, WeightPanels.Narrow) * context.Threads
            && work >= ComputeContext.ParallelThreshold / 4;
    }

    /// <summary>
    /// Every step of <paramref name="f"/>, and its input projection: with fp32 weights each part computes its own
    /// units' gate columns of it for every step at the start of its first step (so the core that reads them wrote them),
    /// with int8 weights it is one shared product before the steps, or part of the step when there is only one.
    /// </summary>
    public void Run(ComputeContext context, CellKind cell, in LayerActivations f, WeightMatrix inputT, WeightMatrix recurrentT, float* bias)
    {
        _cell = cell;
        _f = f;
        _gates = cell == CellKind.Lstm ? 4 : 3;
        _align = Alignment(inputT, recurrentT);
        _inputT = inputT;
        _recurrentT = recurrentT;
        _bias = bias;
        _width = context.Width;
        StepsRun += f.Steps;
        if (inputT.Int8 is not null || recurrentT.Int8 is not null)
        {
            // The caller quantises each product's rows once for every part, so each step is its own region.
            bool withInput = f.Steps == 1;
            if (!withInput)
            {
                context.Product(f.Input, f.InputSize, inputT, f.Gates, f.Steps * f.Batch, accumulate: false);
            }

            for (int t = 0; t < f.Steps; t++)
            {
                _stepAlone = t;
                _inputProduct = withInput ? StepInput(t) : default;
                _recurrentProduct = Recurrent(t);
                context.Prepare(ref _inputProduct, _inputRows);
                context.Prepare(ref _recurrentProduct, _hiddenRows);
                RunParts(context);
            }

            return;
        }

        _stepAlone = -1;
        _failed = false;
        Array.Clear(_away, 0, context.Threads);
        Array.Clear(_claimed, 0, context.Threads * CounterStride);
        Array.Clear(_published, 0, context.Threads * CounterStride);
        RunParts(context);
    }

    public void Execute(int part, int parts)
    {
        if (_stepAlone >= 0)
        {
            ComputeUnits(_stepAlone, part, parts, _inputProduct, _recurrentProduct);
            return;
        }

        // Step t reads every unit of h_{t−1}, so it starts only when every part has published step t−1: the wait at the
        // end of the previous iteration (each part's step t−2 is then done as well, so nothing this step overwrites
        // is still being read).
        for (int t = 0; t < _f.Steps && !_failed; t++)
        {
            if (TryClaim(part, t))
            {
                Step(part, parts, t);
            }

            for (int q = 0; q < parts && !_failed; q++)
            {
                WaitFor(q, t + 1, parts);
            }

            StepTimeline.Mark(StepTimeline.Point.AllPublished, part, t);
        }
    }

    /// <summary>Where a unit slice may start: at a whole column block of both weights (1 when both are fp32 row-major).</summary>
    private static int Alignment(WeightMatrix inputT, WeightMatrix recurrentT) => Math.Max(inputT.ColumnBlock, recurrentT.ColumnBlock);

    private void RunParts(ComputeContext context)
    {
        if (!PartsInTurnOnCaller)
        {
            context.Run(this);
            return;
        }

        for (int part = 0; part < context.Threads; part++)
        {
            Execute(part, context.Threads);
        }
    }

    /// <summary>
    /// Waits until part <paramref name="q"/> has published <paramref name="steps"/> steps, or a step failed. A step that
    /// nobody has claimed after a while is taken over and computed here.
    /// </summary>
    private void WaitFor(int q, int steps, int parts)
    {
        var spin = default(SpinWait);
        bool stealable = true;
        long since = 0;
        while (Volatile.Read(ref _published[q * CounterStride]) < steps && !_failed)
        {
            since = since == 0 ? Stopwatch.GetTimestamp() : since;
            long waited = Stopwatch.GetTimestamp() - since;
            if (stealable && (_away[q] || waited >= StealAfterTicks))
            {
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

            if (waited < YieldAfterTicks)
            {
                // A step takes microseconds: a yield (a system call, a microsecond or more in a VM) would make this
                // thread the late one at the next step.
                Thread.SpinWait(1);
            }
            else
            {
                // Long enough to suspect that the thread computing it is not running: let the OS run it.
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    /// <summary>Claims step <paramref name="t"/> of part <paramref name="q"/>: true for exactly one thread.</summary>
    private bool TryClaim(int q, int t) => Interlocked.CompareExchange(ref _claimed[q * CounterStride], t + 1, t) == t;

    /// <summary>
    /// Step <paramref name="t"/> of part <paramref name="part"/>'s units (fp32 weights), then publishes it. Step 0 first
    /// computes the part's gate columns of the input projection for every step.
    /// </summary>
    private void Step(int part, int parts, int t)
    {
        try
        {
            StepUnits(part, parts, t);
        }
        catch
        {
            _failed = true;
            throw;
        }

        Volatile.Write(ref _published[part * CounterStride], t + 1);
        StepTimeline.Mark(StepTimeline.Point.Published, part, t);
    }

    private void StepUnits(int part, int parts, int t)
    {
        StepTimeline.Mark(StepTimeline.Point.Start, part, t);
        if (InjectedFailure == (part, t))
        {
            throw new InvalidOperationException($"injected failure in part {part}, step {t}");
        }

        var input = t == 0 ? _inputT.Product(_f.Input, _inputT.Rows, _f.Gates, _gates * _f.Hidden, _f.Steps * _f.Batch, accumulate: false) : default;
        var recurrent = Recurrent(t);
        input.Width = _width;
        recurrent.Width = _width;
        ComputeUnits(t, part, parts, input, recurrent);
    }

    /// <summary>The input projection of step <paramref name="t"/> alone (a one-step pass with int8 weights).</summary>
    private MatMulJob StepInput(int t)
        => _inputT.Product(_f.Input + (t * (long)_f.Batch * _f.InputSize), _inputT.Rows, Gates(t), _gates * _f.Hidden, _f.Batch, accumulate: false);

    /// <summary>
    /// Step <paramref name="t"/>'s h_{t−1}·W_hhᵀ (a null A at t = 0 from a zero state). An LSTM adds it to the gates; a
    /// GRU keeps it apart (its n gate scales it by r).
    /// </summary>
    private MatMulJob Recurrent(int t)
    {
        bool lstm = _cell == CellKind.Lstm;
        float* hPrev = t == 0 ? _f.H0 : _f.OutputAt(t - 1);
        return _recurrentT.Product(hPrev, _f.Hidden, lstm ? Gates(t) : _f.Recurrent, _gates * _f.Hidden, _f.Batch, accumulate: lstm);
    }

    private float* Gates(int t) => _f.Gates + (t * (long)_f.Batch * _gates * _f.Hidden);

    private void ComputeUnits(int t, int part, int parts, in MatMulJob input, in MatMulJob recurrent)
    {
        ref readonly var f = ref _f;
        var (u0, u1) = BlockSplit.Of(f.Hidden, _align, part, parts);
        if (u0 >= u1)
        {
            return;
        }

        for (int g = 0; g < _gates; g++)
        {
            int first = (g * f.Hidden) + u0, last = (g * f.Hidden) + u1;
            if (input.A != null)
            {
                input.Compute(0, input.M, first, last);
            }

            if (recurrent.A != null)
            {
                recurrent.Compute(0, f.Batch, first, last);
            }
        }

        StepTimeline.Mark(StepTimeline.Point.ProductDone, part, t);
        float* hPrev = t == 0 ? f.H0 : f.OutputAt(t - 1);
        float* gates = Gates(t);
        for (int r = 0; r < f.Batch; r++)
        {
            if (_cell == CellKind.Lstm)
            {
                LstmCell.Forward(gates, _bias, t == 0 ? f.C0 : f.CellAt(t - 1), f.CellAt(t), f.TanhCellAt(t), f.OutputAt(t), f.Hidden, r, u0, u1);
            }
            else
            {
                GruCell.Forward(gates, hPrev == null ? null : f.Recurrent, _bias, hPrev, f.HiddenNAt(t), f.OutputAt(t), f.Hidden, r, u0, u1);
            }
        }

        f.HoldEndedSamples(t, u0, u1);
        StepTimeline.Mark(StepTimeline.Point.CellDone, part, t);
    }
}
