using BenchmarkDotNet.Attributes;
using EdgeLstm.Kernels;
using EdgeLstm.Quantization;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// The int8-weight product against the fp32 ones at the recipe's shapes (W_hh 1024×256, a layer-1 W_ih 1024×512) on
/// one thread: batch 1 is the streaming step and batch-1 inference, where reading the weights is the cost.
/// </summary>
/// <remarks>
/// Fp32 is the engine's own batch-1 product today (x·Wᵀ with Wᵀ stored [cols × rows]); Fp32RowDots reads W in int8's
/// row layout (A·Bᵀ), so the comparison is fair to both. Run: <c>dotnet run -c Release --project perf/EdgeLstm.Benchmarks
/// -- --filter '*Int8MatVec*'</c>.
/// </remarks>
[MemoryDiagnoser]
public class Int8MatVecBenchmarks
{
    private float[] _w = [], _wt = [], _x = [], _y = [];
    private Int8PanelMatrix _q = null!;

    [Params(1024)]
    public int Rows { get; set; }

    [Params(256, 512)]
    public int Cols { get; set; }

    [Params(1, 8, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(14);
        _w = Enumerable.Range(0, Rows * Cols).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        _wt = new float[Rows * Cols];
        for (int i = 0; i < Rows; i++)
        {
            for (int j = 0; j < Cols; j++)
            {
                _wt[(j * Rows) + i] = _w[(i * Cols) + j];
            }
        }

        _q = new Int8PanelMatrix(Int8Quantizer.Quantize(_w, Rows, Cols));
        _x = Enumerable.Range(0, Batch * Cols).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        _y = new float[Batch * Rows];
    }

    [Benchmark(Baseline = true)]
    public void Fp32() => MatMul.Multiply(_x, _wt, _y, Batch, Rows, Cols);

    [Benchmark]
    public void Fp32RowDots() => MatMul.MultiplyTransposedB(_x, _w, _y, Batch, Rows, Cols);

    [Benchmark]
    public void Int8() => Int8MatVec.MultiplyBatch(_q, _x, _y, Batch);
}
