using System.Diagnostics;
using System.Globalization;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// <c>loop WORK THREADS SECONDS</c>: one row's call over and over for a profiler to sample (Linux <c>perf record</c>
/// with <c>DOTNET_PerfMapEnabled=1</c>), then the spread of its wall times: a best call far below the median says
/// the calls are interrupted, not slow.
/// </summary>
internal static class ProfileLoop
{
    public static int Run(ModelBenchmarks.Work work, int threads, double seconds)
    {
        var bench = new ModelBenchmarks { Case = work, Threads = threads };
        bench.Setup();
        var calls = new List<double>();
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds)
        {
            long t = Stopwatch.GetTimestamp();
            bench.Run();
            calls.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
        }

        bench.Cleanup();
        calls.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{work}, {threads} thread(s): {calls.Count} calls; wall time best {calls[0]:F1} us, 10% {calls[calls.Count / 10]:F1}, median {calls[calls.Count / 2]:F1}, 90% {calls[calls.Count * 9 / 10]:F1}"));
        return 0;
    }
}
