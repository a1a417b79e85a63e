using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EdgeLstm.Fuzz;

/// <summary>
/// Runs numbered cases: case <c>c</c> of seed <c>s</c> always makes the same input (its generator is seeded from both),
/// so any failure is reproduced by <c>--seed s --case c</c>. Each case loads its input once, in this thread, and must end
/// in success or the target's own format exception, with a one-line message, allocating no more than the target's
/// memory bound; anything else is a failure of its group (target × mutation).
/// </summary>
internal sealed class FuzzRunner(IReadOnlyList<FuzzTarget> targets, ulong seed, string scratch, string reportDirectory, TextWriter log)
{
    private const int MaxReportedFailures = 50;
    private readonly Dictionary<(string Target, string Group), GroupResult> _groups = [];
    private int _reported;

    /// <summary>Results per group, in the order first run.</summary>
    public IReadOnlyDictionary<(string Target, string Group), GroupResult> Groups => _groups;

    /// <summary>Runs cases <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1.</summary>
    public void Run(long first, long count, bool verbose)
    {
        Directory.CreateDirectory(reportDirectory);
        if (count > 1)
        {
            foreach (string stale in Directory.GetFiles(reportDirectory, "failure-*.bin"))
            {
                File.Delete(stale);
            }
        }

        using var current = new FileStream(Path.Combine(reportDirectory, "current-case.txt"), FileMode.Create, FileAccess.Write, FileShare.Read);
        for (long c = first; c < first + count; c++)
        {
            RunCase(c, current, verbose);
        }
    }

    private static IReadOnlyList<(string Group, Func<byte[], Random, byte[]> Mutate)> GroupsOf(FuzzTarget target) =>
        [.. ByteMutations.All, .. target.Structured];

    private void RunCase(long number, FileStream current, bool verbose)
    {
        var target = targets[(int)(number % targets.Count)];
        var groups = GroupsOf(target);
        var (group, mutate) = groups[(int)(number / targets.Count % groups.Count)];
        var random = new Random(Mix(seed, number));
        byte[] input = mutate(target.Seeds[random.Next(target.Seeds.Count)], random);
        var route = target.Routes[random.Next(target.Routes.Count)];
        string where = $"case {number} (seed {seed}, {target.Name}, {group}, {route}, {input.Length} bytes)";

        // Before the load: if the process dies in it, the stage prints this line (tools/test.d/10-fuzz.sh).
        current.Position = 0;
        byte[] record = Encoding.UTF8.GetBytes(where.PadRight(200) + "\n");
        current.Write(record);
        current.Flush();

        var result = _groups.TryGetValue((target.Name, group), out var existing) ? existing : _groups[(target.Name, group)] = new GroupResult();
        result.Cases++;
        string? failure = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            target.Load(input, route, Path.Combine(scratch, "case.bin"));
            result.Loaded++;
        }
        catch (Exception e) when (target.FormatException.IsInstanceOfType(e))
        {
            result.Refused++;
            if (e.Message.Contains('\n', StringComparison.Ordinal) || e.Message.Contains('\r', StringComparison.Ordinal))
            {
                failure = $"the {e.GetType().Name} message is not one line: {e.Message}";
            }
            else if (verbose)
            {
                log.WriteLine($"{where}: {e.Message}");
            }
        }
        catch (Exception e)
        {
            failure = $"{e.GetType().FullName} (not the loader's {target.FormatException.Name}): {e.Message}\n{e.StackTrace}";
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long bound = target.MemoryBound(input);
        if (failure is null && allocated > bound)
        {
            failure = $"allocated {allocated} bytes for a {input.Length}-byte input; the bound is {bound}";
        }

        if (failure is not null)
        {
            result.Failed++;

            // The first failures in full (a broken loader fails thousands of cases alike); the rest are counted.
            if (++_reported > MaxReportedFailures)
            {
                return;
            }

            string saved = Path.Combine(reportDirectory, $"failure-seed{seed}-case{number}.bin");
            File.WriteAllBytes(saved, input);
            log.WriteLine($"FAIL {where}: {failure}");
            log.WriteLine($"  input saved as {saved}; reproduce: dotnet run -c Release --project tests/EdgeLstm.Fuzz -- --seed {seed} --case {number}");
        }
        else if (verbose)
        {
            log.WriteLine($"{where}: ok, {allocated} bytes allocated");
        }
    }

    /// <summary>A 31-bit generator seed from the run's seed and the case number (SplitMix64's finaliser).</summary>
    private static int Mix(ulong seed, long number)
    {
        ulong z = seed + (0x9E3779B97F4A7C15UL * (ulong)(number + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    /// <summary>What one group's cases came to.</summary>
    internal sealed class GroupResult
    {
        public long Cases { get; set; }

        public long Loaded { get; set; }

        public long Refused { get; set; }

        public long Failed { get; set; }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Cases} cases: {Loaded} loaded, {Refused} refused, {Failed} failed");
    }

    /// <summary>Seconds since <paramref name="start"/>, for the report.</summary>
    public static string Elapsed(Stopwatch start) => start.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
}
