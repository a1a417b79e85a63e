using System.Runtime.CompilerServices;
using EdgeLstm.Engine;

namespace EdgeLstm.Tests.TestSupport;

internal static class ParallelEverywhere
{
    /// <summary>
    /// The engine keeps products under about half a million multiply-adds on one thread (splitting them costs more than
    /// it saves). The tests' shapes are small on purpose, so the threshold is lowered to 0 for the whole test run:
    /// every multi-threaded path then runs, and is checked, on them.
    /// </summary>
#pragma warning disable CA2255 // A module initializer is the one place that runs before any test, whatever the order.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => ComputeContext.ParallelThreshold = 0;
}
