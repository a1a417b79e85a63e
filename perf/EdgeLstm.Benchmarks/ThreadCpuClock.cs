using System.Runtime.InteropServices;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>): on a machine shared with other busy
/// processes, a one-thread call's CPU time leaves out the slices the scheduler gave to others, which wall time does not.
/// Elsewhere <see cref="IsAvailable"/> is false and callers use wall time.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && Probe();

    /// <summary>Seconds of CPU the calling thread has used.</summary>
    public static double Now()
    {
        clock_gettime(ClockThreadCpuTimeId, out var t);
        return t.Seconds + (t.Nanoseconds * 1e-9);
    }

    private static bool Probe()
    {
        try
        {
            return clock_gettime(ClockThreadCpuTimeId, out _) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int clock_gettime(int clock, out TimeSpec time);
}
