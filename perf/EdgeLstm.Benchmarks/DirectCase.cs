using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// One benchmark case run by hand, outside BenchmarkDotNet: its class instantiated with the case's parameters, its
/// [GlobalSetup] run, then its [Benchmark] method called directly — for the baseline, the re-measure of a flagged case
/// and the exact count of bytes allocated per call.
/// </summary>
internal sealed class DirectCase : IDisposable
{
    private readonly object _instance;
    private readonly Action _call;
    private readonly MethodInfo? _cleanup;

    public DirectCase(BenchmarkCase benchmark)
    {
        var type = benchmark.Descriptor.Type;
        _instance = Activator.CreateInstance(type)!;
        foreach (var parameter in benchmark.Parameters.Items)
        {
            type.GetProperty(parameter.Name)!.SetValue(_instance, parameter.Value);
        }

        Counted = (IFlopCounted)_instance;
        Find<GlobalSetupAttribute>(type)?.Invoke(_instance, null);
        _cleanup = Find<GlobalCleanupAttribute>(type);
        _call = benchmark.Descriptor.WorkloadMethod.CreateDelegate<Action>(_instance);
    }

    public IFlopCounted Counted { get; }

    /// <summary>One call of the benchmark method.</summary>
    public Action Call => _call;

    /// <summary>Bytes the calling thread allocates per call, after two warm-up calls (exact: no sampling, no other thread).</summary>
    public long AllocatedBytesPerCall(int calls)
    {
        _call();
        _call();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++)
        {
            _call();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / calls;
    }

    public void Dispose() => _cleanup?.Invoke(_instance, null);

    private static MethodInfo? Find<TAttribute>(Type type)
        where TAttribute : Attribute
        => type.GetMethods().FirstOrDefault(m => m.GetCustomAttribute<TAttribute>() is not null);
}
