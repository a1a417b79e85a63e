using BenchmarkDotNet.Attributes;
using EdgeLstm.Kernels;

namespace EdgeLstm.Benchmarks;

/// <summary>The matrix products at the shapes the recipe's 2×256 model really runs, on one thread.</summary>
public class KernelBenchmarks : IFlopCounted
{
    private float[] _a = [], _b = [], _c = [];

    /// <summary>One product: C[m×n] = A·B (or Aᵀ·B), depth k.</summary>
    public sealed record Shape(string Role, int M, int N, int K, bool TransposedA)
    {
        public override string ToString() => $"{Role} {M}x{K}->{N}{(TransposedA ? " (AtB)" : string.Empty)}";
    }

    public static IEnumerable<Shape> Shapes() =>
    [
        new("x.Wih", 1792, 1024, 28, false),    // forward input projection, layer 0, all 28×64 rows at once
        new("y.Wih", 1792, 1024, 256, false),   // forward input projection, layer 1
        new("h.Whh", 64, 1024, 256, false),     // forward recurrent product, one step at batch 64
        new("h.Whh", 1, 1024, 256, false),      // the same at batch 1 (a matrix-vector product)
        new("dG.Whh", 64, 256, 1024, false),    // backward: gradient to h_{t-1}, one step
        new("dG.Wih", 1792, 256, 1024, false),  // backward: gradient to the layer input
        new("dWih", 28, 1024, 1792, true),      // backward: weight gradient, layer 0 (transposed form)
        new("dWhh", 256, 1024, 1728, true),     // backward: recurrent weight gradient
    ];

    [ParamsSource(nameof(Shapes))]
    public Shape Case { get; set; } = Shapes().First();

    public int Threads => 1;

    public double FlopsPerOperation => 2.0 * Case.M * Case.N * Case.K;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _a = Enumerable.Range(0, Case.M * Case.K).Select(_ => (float)rng.NextDouble()).ToArray();
        _b = Enumerable.Range(0, Case.K * Case.N).Select(_ => (float)rng.NextDouble()).ToArray();
        _c = new float[Case.M * Case.N];
    }

    [Benchmark]
    public void Product()
    {
        if (Case.TransposedA)
        {
            MatMul.MultiplyTransposedA(_a, _b, _c, Case.M, Case.N, Case.K);
        }
        else
        {
            MatMul.Multiply(_a, _b, _c, Case.M, Case.N, Case.K);
        }
    }
}
