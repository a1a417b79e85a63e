using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeLstm.Model;
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
    private readonly int _threads;
    private readonly int _steps;
    private readonly long _recurrentFloats, _onceFloats, _streamFloats;
    private readonly float*[] _buffers;
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
        _threads = threads;
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

        _buffers = new float*[threads * (Layers + 2)];
        for (int i = 0; i < _buffers.Length; i++)
        {
            long floats = Math.Max(Math.Max(_recurrentFloats, _onceFloats), _streamFloats);
            _buffers[i] = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            new Span<float>(_buffers[i], (int)floats).Fill(1e-3f);
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
        float** mine = stackalloc float*[Layers + 2];
        for (int i = 0; i < Layers + 2; i++)
        {
            mine[i] = _buffers[(part * (Layers + 2)) + i];
        }

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
        foreach (float* b in _buffers)
        {
            NativeMemory.AlignedFree(b);
        }
    }

    private static long Round(long floats) => floats / 128 * 128;

    private static long Kb(long floats) => floats * sizeof(float) / 1024;

    // Eight independent sums: the loads, not the adds, set the pace. The widest vectors the machine has, as the
    // engine's kernels use.
    private static float Sum(float* p, long floats, bool down)
        => Vector512.IsHardwareAccelerated ? Sum512(p, floats, down) : Sum256(p, floats, down);

    private static float Sum512(float* p, long floats, bool down)
    {
        var s0 = Vector512<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0; var s4 = s0; var s5 = s0; var s6 = s0; var s7 = s0;
        for (long block = 0; block < floats; block += 128)
        {
            float* q = p + (down ? floats - 128 - block : block);
            s0 += Vector512.Load(q); s1 += Vector512.Load(q + 16); s2 += Vector512.Load(q + 32); s3 += Vector512.Load(q + 48);
            s4 += Vector512.Load(q + 64); s5 += Vector512.Load(q + 80); s6 += Vector512.Load(q + 96); s7 += Vector512.Load(q + 112);
        }

        return Vector512.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
    }

    private static float Sum256(float* p, long floats, bool down)
    {
        var s0 = Vector256<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0; var s4 = s0; var s5 = s0; var s6 = s0; var s7 = s0;
        for (long block = 0; block < floats; block += 64)
        {
            float* q = p + (down ? floats - 64 - block : block);
            s0 += Vector256.Load(q); s1 += Vector256.Load(q + 8); s2 += Vector256.Load(q + 16); s3 += Vector256.Load(q + 24);
            s4 += Vector256.Load(q + 32); s5 += Vector256.Load(q + 40); s6 += Vector256.Load(q + 48); s7 += Vector256.Load(q + 56);
        }

        return Vector256.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
    }
}
