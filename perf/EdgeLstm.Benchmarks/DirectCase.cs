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

    /// <summary>
    /// Bytes the calling thread allocates per call (exact: no sampling, no other thread): the least of three windows of
    /// <paramref name="calls"/> calls, after 40 warm-up calls. A hot path that allocates does so at every call, so it
    /// shows in every window; the runtime's own bookkeeping on the calling thread does not. With two warm-ups, as
    /// before, tiered compilation's call counting (started after a delay that depends on the machine's load) now and
    /// then reached its threshold inside the window: 230 B/call once, 456 B/call once, never reproduced in a fresh
    /// process, where every call after the first allocated 0 bytes for 60 calls.
    /// </summary>
    public long AllocatedBytesPerCall(int calls)
    {
        for (int i = 0; i < 40; i++)
        {
            _call();
        }

        long least = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
            {
                _call();
            }

            least = Math.Min(least, (GC.GetAllocatedBytesForCurrentThread() - before) / calls);
        }

        return least;
    }

    public void Dispose() => _cleanup?.Invoke(_instance, null);

    private static MethodInfo? Find<TAttribute>(Type type)
        where TAttribute : Attribute
        => type.GetMethods().FirstOrDefault(m => m.GetCustomAttribute<TAttribute>() is not null);
}
