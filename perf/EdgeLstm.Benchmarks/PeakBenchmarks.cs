using BenchmarkDotNet.Attributes;
using EdgeLstm.Diagnostics;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Benchmarks;

/// <summary>The processor's fp32 FMA peak at the widest width this build uses: the yardstick of every other figure.</summary>
public class PeakBenchmarks : IFlopCounted
{
    private WorkerPool? _pool;
    private FmaPeakProbe.ProbeJob? _job;

    [Params(1, 2)]
    public int Threads { get; set; }

    public double FlopsPerOperation => FmaPeakProbe.CreateJob(SimdWidth.Auto).FlopsPerPart * Threads;

    [GlobalSetup]
    public void Setup()
    {
        _pool = new WorkerPool(Threads);
        _job = FmaPeakProbe.CreateJob(SimdWidth.Auto);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark]
    public void FmaPeak() => _pool!.Run(_job!);
}
