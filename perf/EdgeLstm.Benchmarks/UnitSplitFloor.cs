using System.Globalization;
using System.Runtime.InteropServices;
using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// The floor of a batch-1 row split by hidden units on several threads, timed in the same rounds as the engines: the
/// engine's design with nothing but its arithmetic and its one wait per step. Each thread owns the same units of every
/// layer and runs, with the engine's kernels on weights packed as the engine packs them: its units' gate columns of
/// the input projection for every step, then per step its slice of h·W_hhᵀ (one kernel call over its panels), the
/// LSTM cell on its units, its half of h written for the others, one published counter, and a spin until every thread
/// has published that step. No claims, take-overs, jobs or per-gate calls (the engine's bookkeeping), no dense head
/// (2,560 multiply-adds). Whatever the engine does beyond this is its own overhead; a speed-up that needs a call
/// faster than this needs another design, not better code.
/// </summary>
internal sealed unsafe class UnitSplitFloor : IParallelJob, IDisposable
{
    private const int CounterStride = 16;

    private readonly int _parts, _steps, _layers, _hidden, _units, _columns, _panelWidth;
    private readonly int[] _inputSizes;
    private readonly bool _stream;
    private readonly SimdWidth _width = SimdSupport.Resolve(SimdWidth.Auto);
    private readonly WorkerPool _pool;
    private readonly List<nint> _allocations = [];

    // Per part and layer: the part's columns of W_ihᵀ and W_hhᵀ in panels, its gates (every step), c (two slots),
    // tanh c and bias. Per layer: the layer's output, every step, both parts' units.
    private readonly float*[][] _inputPanels, _recurrentPanels, _gates, _c;
    private readonly float*[] _tanhC, _bias, _outputs;
    private readonly float* _x;
    private readonly int[] _published;
    private int _base;

    private UnitSplitFloor(ModelBenchmarks.Work work, int threads)
    {
        var config = BenchInputs.Config;
        _parts = threads;
        _stream = work == ModelBenchmarks.Work.StreamingStepBatch1;
        _steps = _stream ? 1 : config.Steps;
        _layers = config.Layers;
        _hidden = config.HiddenSize;
        _units = _hidden / threads;
        _columns = 4 * _units;
        _panelWidth = WeightPanels.PreferredWidth([_hidden], [_columns]);
        if (_panelWidth == 0)
        {
            throw new InvalidOperationException($"{_units} units a thread are not whole weight panels here");
        }

        _inputSizes = [.. Enumerable.Range(0, _layers).Select(l => l == 0 ? config.InputSize : _hidden)];
        var rng = new Random(5);
        _x = Filled(_steps * config.InputSize, rng, 1f);
        _outputs = new float*[_layers];
        for (int l = 0; l < _layers; l++)
        {
            _outputs[l] = Filled(_steps * _hidden, rng, 0.5f);
        }

        _inputPanels = new float*[threads][];
        _recurrentPanels = new float*[threads][];
        _gates = new float*[threads][];
        _c = new float*[threads][];
        _tanhC = new float*[threads];
        _bias = new float*[threads];
        float scale = 1f / MathF.Sqrt(_hidden);
        for (int p = 0; p < threads; p++)
        {
            (_inputPanels[p], _recurrentPanels[p], _gates[p], _c[p]) = (new float*[_layers], new float*[_layers], new float*[_layers], new float*[_layers]);
            for (int l = 0; l < _layers; l++)
            {
                _inputPanels[p][l] = Panels(_inputSizes[l], rng, scale);
                _recurrentPanels[p][l] = Panels(_hidden, rng, scale);
                _gates[p][l] = Filled(_steps * _columns, rng, 0f);
                _c[p][l] = Filled(2 * _units, rng, 0f);
            }

            _tanhC[p] = Filled(_units, rng, 0f);
            _bias[p] = Filled(_columns, rng, scale);
        }

        _published = new int[threads * CounterStride];
        _pool = new WorkerPool(threads);
        Description = string.Create(CultureInfo.InvariantCulture, $"{threads} threads, {_units} units each, {_panelWidth}-column panels, the engine's kernels and cell, one published counter per step");
    }

    /// <summary>What is run, for the report.</summary>
    public string Description { get; }

    /// <summary>The floor of <paramref name="work"/> at <paramref name="threads"/>, or null where the engine does not split by units.</summary>
    public static UnitSplitFloor? For(ModelBenchmarks.Work work, int threads)
        => threads > 1 && BenchInputs.Config.HiddenSize % (threads * WeightPanels.Narrow) == 0
            && work is ModelBenchmarks.Work.InferenceBatch1 or ModelBenchmarks.Work.StreamingStepBatch1 ? new UnitSplitFloor(work, threads) : null;

    /// <summary>One call on every thread.</summary>
    public void Run()
    {
        _pool.Run(this);
        _base += _layers * _steps;
    }

    public void Execute(int part, int parts)
    {
        for (int l = 0; l < _layers; l++)
        {
            float* input = l == 0 ? _x : _outputs[l - 1];
            float* gates = _gates[part][l];
            MatMulJob.ComputeRange(MatMulForm.ABPanels, input, _inputSizes[l], _inputPanels[part][l], _panelWidth, gates, _columns, 0, _steps, 0, _columns, _inputSizes[l], accumulate: false, _width);
            for (int t = 0; t < _steps; t++)
            {
                // A sequence starts from a zero state (no product at step 0); a stream step continues the last one.
                float* hPrev = t > 0 ? _outputs[l] + ((t - 1) * _hidden) : _stream ? _outputs[l] : null;
                float* g = gates + (t * _columns);
                if (hPrev != null)
                {
                    MatMulJob.ComputeRange(MatMulForm.ABPanels, hPrev, _hidden, _recurrentPanels[part][l], _panelWidth, g, _columns, 0, 1, 0, _columns, _hidden, accumulate: true, _width);
                }

                float* c = _c[part][l];
                float* h = _outputs[l] + (t * _hidden) + (part * _units);
                float* cPrev = t == 0 && !_stream ? null : c + (((t - 1) & 1) * _units);
                LstmCell.Forward(g, _bias[part], cPrev, c + ((t & 1) * _units), _tanhC[part], h, _units, 0, 0, _units);

                int target = _base + (l * _steps) + t + 1;
                Volatile.Write(ref _published[part * CounterStride], target);
                for (int q = 0; q < parts; q++)
                {
                    while (Volatile.Read(ref _published[q * CounterStride]) < target)
                    {
                        Thread.SpinWait(1);
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        foreach (nint p in _allocations)
        {
            NativeMemory.AlignedFree((void*)p);
        }
    }

    private float* Filled(int floats, Random rng, float scale)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(floats, 16) * sizeof(float)), 64);
        _allocations.Add((nint)p);
        for (int i = 0; i < floats; i++)
        {
            p[i] = ((rng.NextSingle() * 2) - 1) * scale;
        }

        return p;
    }

    /// <summary>A random [k × columns] part of Wᵀ in the engine's panels.</summary>
    private float* Panels(int k, Random rng, float scale)
    {
        float* rowMajor = Filled(k * _columns, rng, scale);
        float* panels = Filled(k * _columns, rng, 0f);
        WeightPanels.Pack(new ReadOnlySpan<float>(rowMajor, k * _columns), k, _columns, _panelWidth, new Span<float>(panels, k * _columns));
        return panels;
    }
}
