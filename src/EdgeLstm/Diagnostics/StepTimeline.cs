using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace EdgeLstm.Diagnostics;

/// <summary>
/// When each part of a recurrent layer's forward steps reached each point of its step, for the perf tool's
/// <c>steps</c> mode: how a step's time divides between the product, the cell and the wait for the other parts is what
/// bounds the two-thread batch-1 rows, and a profiler cannot say it (its samples do not know which step they are in).
/// Off unless that tool starts it; then every mark is one clock read and two stores into a buffer made at the start,
/// so a recording costs the steps about a tenth of a microsecond each and allocates nothing.
/// </summary>
internal static class StepTimeline
{
    /// <summary>The points of a step that are marked.</summary>
    public enum Point
    {
        /// <summary>A part's step is claimed and starts (a unit-split step) or a part of a row-split step starts.</summary>
        Start,

        /// <summary>The part's share of the step's products is done.</summary>
        ProductDone,

        /// <summary>The part's cell is done.</summary>
        CellDone,

        /// <summary>A unit-split part has published its step for the others.</summary>
        Published,

        /// <summary>A unit-split part's thread has seen every part publish the step, and may start the next.</summary>
        AllPublished,

        /// <summary>The caller is about to start a row-split step's parallel region.</summary>
        RegionStart,

        /// <summary>The caller has seen a row-split step's parallel region end.</summary>
        RegionEnd,
    }

    // One buffer per part, each with its own count a cache line from the others: the threads that mark different parts
    // never write the same line (a shared count would move between the cores at every mark and slow what it measures).
    private const int MaxParts = 64;
    private const int CountStride = 16;
    private static long[][] _records = [];
    private static readonly int[] Used = new int[MaxParts * CountStride];

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public static bool Recording { get; private set; }

    /// <summary>
    /// Starts a recording of at most <paramref name="marksPerPart"/> marks of each of the first <paramref name="parts"/>
    /// parts (later marks, and other parts, are dropped).
    /// </summary>
    public static void Start(int parts, int marksPerPart)
    {
        _records = new long[Math.Clamp(parts, 1, MaxParts)][];
        for (int part = 0; part < _records.Length; part++)
        {
            // Written once now, so that no mark pays for a page's first touch.
            _records[part] = new long[2 * (long)marksPerPart];
            Array.Fill(_records[part], -1L);
        }

        Array.Clear(Used);
        Recording = true;
    }

    public static void Stop() => Recording = false;

    /// <summary>Marks <paramref name="point"/> of step <paramref name="step"/> of part <paramref name="part"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mark(Point point, int part, int step)
    {
        if (Recording)
        {
            Record(point, part, step);
        }
    }

    /// <summary>The marks of the last recording, in time order, with <see cref="Stopwatch"/> ticks.</summary>
    public static List<(Point Point, int Part, int Step, long Ticks)> Marks()
    {
        var marks = new List<(Point, int, int, long)>();
        for (int part = 0; part < _records.Length; part++)
        {
            int used = Math.Min(Volatile.Read(ref Used[part * CountStride]), _records[part].Length);
            for (int i = 0; i < used; i += 2)
            {
                marks.Add(((Point)(_records[part][i] & 0xFF), part, (int)(_records[part][i] >> 8), _records[part][i + 1]));
            }
        }

        marks.Sort((x, y) => x.Item4.CompareTo(y.Item4));
        return marks;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Record(Point point, int part, int step)
    {
        long ticks = Stopwatch.GetTimestamp();
        if ((uint)part >= (uint)_records.Length)
        {
            return;
        }

        // Interlocked: a part's step taken over by another thread is marked by that thread.
        int i = Interlocked.Add(ref Used[part * CountStride], 2) - 2;
        long[] records = _records[part];
        if (i + 2 <= records.Length)
        {
            records[i] = (long)point | ((long)step << 8);
            records[i + 1] = ticks;
        }
    }
}
