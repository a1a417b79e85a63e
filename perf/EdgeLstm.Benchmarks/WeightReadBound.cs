using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// The speed of light of a batch-1 row. At batch 1 every weight is used once per step, so a call costs at least the
/// time to load its weights into the core. This does only that, in the same pattern, timed in the same alternating
/// rounds as the engines: bare vector loads of buffers as large as the weights each thread reads (half of each on two
/// threads), re-read as often as the call re-reads them, so they come from the same level of cache. ONNX Runtime has to
/// load the same fp32 bytes in the same order, so a speed-up that would need an engine to beat this is out of reach for
/// either engine; the row's time over this one says how much of the call is anything other than loading the weights.
/// </summary>
internal sealed unsafe class WeightReadBound : IParallelJob, IDisposable
{
    private readonly int _steps;
    private readonly long _recurrentFloats, _onceFloats, _streamFloats;
    private readonly SimdWidth _width = SimdSupport.Resolve(SimdWidth.Auto);

    // Per thread: a stream's one buffer of all its weights, or a sequence's W_hh per layer and then the rest.
    private readonly float*[][] _buffers;
    private readonly WorkerPool? _pool;
    private float _sink;

    private WeightReadBound(ModelBenchmarks.Work work, int threads)
    {
        var config = BenchInputs.Config;
        int gates = config.Cell == CellKind.Lstm ? 4 : 3;
        long recurrent = (long)gates * config.HiddenSize * config.HiddenSize;
        long input = 0;
        for (int l = 0; l < config.Layers; l++)
        {
            input += (long)gates * config.HiddenSize * (l == 0 ? config.InputSize : config.HiddenSize);
        }

        long head = (long)config.Classes * config.HiddenSize;
        _steps = config.Steps;
        Layers = config.Layers;
        if (work == ModelBenchmarks.Work.InferenceBatch1)
        {
            // Layer at a time: each of the T steps re-reads that layer's W_hh (a thread its share of it); the input
            // projections and the head read theirs once per sequence.
            _recurrentFloats = Round(recurrent / threads);
            _onceFloats = Round((input + head) / threads);
            Description = string.Create(CultureInfo.InvariantCulture, $"{_steps} steps x {Layers} layers x {Kb(_recurrentFloats)} KB of W_hh + {Kb(_onceFloats)} KB once, per thread");
        }
        else
        {
            // A stream step reads every weight once, layer 1 before layer 2, and the next call reads them all again.
            _streamFloats = Round(((Layers * recurrent) + input + head) / threads);
            Description = string.Create(CultureInfo.InvariantCulture, $"{Kb(_streamFloats)} KB of weights per thread, once per call");
        }

        long[] sizes = _streamFloats > 0 ? [_streamFloats] : [.. Enumerable.Repeat(_recurrentFloats, Layers), _onceFloats];
        _buffers = new float*[threads][];
        for (int t = 0; t < threads; t++)
        {
            _buffers[t] = new float*[sizes.Length];
            for (int i = 0; i < sizes.Length; i++)
            {
                _buffers[t][i] = (float*)NativeMemory.AlignedAlloc((nuint)(sizes[i] * sizeof(float)), 64);
                new Span<float>(_buffers[t][i], (int)sizes[i]).Fill(1e-3f);
            }
        }

        _pool = threads > 1 ? new WorkerPool(threads) : null;
    }

    private int Layers { get; }

    /// <summary>What is read, for the report.</summary>
    public string Description { get; }

    /// <summary>The bound of <paramref name="work"/> at <paramref name="threads"/>, or null for a row that is not bound by its weights.</summary>
    public static WeightReadBound? For(ModelBenchmarks.Work work, int threads)
        => work is ModelBenchmarks.Work.InferenceBatch1 or ModelBenchmarks.Work.StreamingStepBatch1 ? new WeightReadBound(work, threads) : null;

    /// <summary>One call: every thread loads its weights as the row's call does.</summary>
    public void Run()
    {
        if (_pool is null)
        {
            Execute(0, 1);
        }
        else
        {
            _pool.Run(this);
        }
    }

    public void Execute(int part, int parts)
    {
        float*[] mine = _buffers[part];
        float sum = 0;
        if (_streamFloats > 0)
        {
            sum += Sum(mine[0], _streamFloats, down: false);
        }
        else
        {
            sum += Sum(mine[Layers], _onceFloats, down: false);
            for (int l = 0; l < Layers; l++)
            {
                // Every other step reads backwards, as the engine's one-thread steps do: what one step read last,
                // still in the cache, is read first by the next.
                for (int t = 0; t < _steps; t++)
                {
                    sum += Sum(mine[l], _recurrentFloats, down: (t & 1) == 1);
                }
            }
        }

        if (part == 0)
        {
            _sink += sum;
        }
    }

    public void Dispose()
    {
        _pool?.Dispose();
        foreach (float*[] mine in _buffers)
        {
            foreach (float* b in mine)
            {
                NativeMemory.AlignedFree(b);
            }
        }
    }

    private static long Round(long floats) => floats / 128 * 128;

    private static long Kb(long floats) => floats * sizeof(float) / 1024;

    // Eight independent sums: the loads, not the adds, set the pace. At the width the engine's kernels use.
    private float Sum(float* p, long floats, bool down) => _width switch
    {
        SimdWidth.Vector512 => Sum<Vector512Ops, Vector512<float>>(p, floats, down),
        SimdWidth.Vector256 => Sum<Vector256Ops, Vector256<float>>(p, floats, down),
        _ => Sum<Vector128Ops, Vector128<float>>(p, floats, down),
    };

    private static float Sum<TOps, TV>(float* p, long floats, bool down)
        where TOps : struct, IVectorOps<TV>
        where TV : struct
    {
        int w = TOps.Count, block = 8 * w;
        TV s0 = TOps.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (long b = 0; b < floats; b += block)
        {
            float* q = p + (down ? floats - block - b : b);
            s0 = TOps.Add(s0, TOps.Load(q)); s1 = TOps.Add(s1, TOps.Load(q + w)); s2 = TOps.Add(s2, TOps.Load(q + (2 * w))); s3 = TOps.Add(s3, TOps.Load(q + (3 * w)));
            s4 = TOps.Add(s4, TOps.Load(q + (4 * w))); s5 = TOps.Add(s5, TOps.Load(q + (5 * w))); s6 = TOps.Add(s6, TOps.Load(q + (6 * w))); s7 = TOps.Add(s7, TOps.Load(q + (7 * w)));
        }

        return TOps.Sum(TOps.Add(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)), TOps.Add(TOps.Add(s4, s5), TOps.Add(s6, s7))));
    }
}
