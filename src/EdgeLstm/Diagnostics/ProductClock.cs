using System.Diagnostics;
using System.Runtime.CompilerServices;
using EdgeLstm.Kernels;

namespace EdgeLstm.Diagnostics;

/// <summary>
/// The time one compute context spends in its matrix products, summed per shape, for the perf tool's <c>products</c>
/// mode: a training iteration's or a batch-64 call's distance from the FMA peak is the products' rate plus the time
/// spent outside them (cells, dropout, the optimiser), and that mode's arithmetic needs the two apart, and which
/// products run slowest where they run. Timed on the thread that waits for each product: the caller's wall time of a
/// whole product, and part 0's share of a row-split step's product (the parts are equal shares that run at the same
/// time). The steps of a layer split by hidden units (batch-1 inference on several threads) run their products inside
/// one region of their own and are not timed here: `steps` breaks those down. Off unless started; then each product
/// costs two clock reads and a search of a few shapes. One per context, so what one context records never mixes with
/// another's.
/// </summary>
internal sealed class ProductClock
{
    /// <summary>Shapes kept apart; products of further shapes are summed into the last entry's time and count only.</summary>
    public const int MaxShapes = 32;

    private readonly Shape[] _shapes = new Shape[MaxShapes];
    private int _used;

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool Recording { get; private set; }

    /// <summary>Products timed since <see cref="Start"/>.</summary>
    public long Products { get; private set; }

    /// <summary>Their summed time since <see cref="Start"/>.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>The shapes timed since <see cref="Start"/>, in the order first seen.</summary>
    public ReadOnlySpan<Shape> Shapes => _shapes.AsSpan(0, _used);

    /// <summary>Clears the sums and starts recording.</summary>
    public void Start()
    {
        Array.Clear(_shapes);
        _used = 0;
        Products = 0;
        Elapsed = TimeSpan.Zero;
        Recording = true;
    }

    public void Stop() => Recording = false;

    /// <summary>The clock when recording, else 0 (and no clock read): pass it to <see cref="End"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Begin() => Recording ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="begin"/> (from <see cref="Begin"/>) to <paramref name="job"/>'s shape when it was taken while recording.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void End(long begin, in MatMulJob job)
    {
        if (begin != 0)
        {
            Add(Stopwatch.GetTimestamp() - begin, job);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private unsafe void Add(long ticks, in MatMulJob job)
    {
        var time = Stopwatch.GetElapsedTime(0, ticks);
        Products++;
        Elapsed += time;
        int m2 = job.A2 == null ? 0 : job.M2, k2 = job.A2 == null ? 0 : job.K - job.Skip2;
        var key = (job.Form, job.M, job.N, job.K, job.Int8 is not null, m2, k2);
        int i = 0;
        while (i < _used && (_shapes[i].Form, _shapes[i].M, _shapes[i].N, _shapes[i].K, _shapes[i].Int8, _shapes[i].M2, _shapes[i].K2) != key)
        {
            i++;
        }

        if (i == _used)
        {
            if (_used == MaxShapes)
            {
                i = MaxShapes - 1;
            }
            else
            {
                _shapes[i] = new Shape(job.Form, job.M, job.N, job.K, job.Int8 is not null, 0, TimeSpan.Zero, m2, k2);
                _used++;
            }
        }

        _shapes[i] = _shapes[i] with { Count = _shapes[i].Count + 1, Elapsed = _shapes[i].Elapsed + time };
    }

    /// <summary>
    /// One product shape: C[M×N] (+)= op(A)·B of depth K, how many ran and their summed time; with a second product over
    /// the same B in the same pass (<see cref="MatMulJob.A2"/>), its C2[M2×N] of depth K2 (else both 0).
    /// </summary>
    public readonly record struct Shape(MatMulForm Form, int M, int N, int K, bool Int8, long Count, TimeSpan Elapsed, int M2 = 0, int K2 = 0)
    {
        /// <summary>Multiply-adds of one product of this shape, both parts of a pair.</summary>
        public long MultiplyAdds => ((long)M * N * K) + ((long)M2 * N * K2);
    }
}
