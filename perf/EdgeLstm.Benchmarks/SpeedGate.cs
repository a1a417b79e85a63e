using System.Globalization;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// The hard speed check of <c>gate</c> (never of the test command): a case whose fraction of the in-run peak falls
/// below <see cref="RegressionRatio"/> × its baseline is re-measured before it fails — several rounds, each a fresh FMA
/// peak at the case's thread count immediately followed by the case itself, timed as the baseline was
/// (<see cref="RobustTiming"/>), the best round counting — so load from other processes during the BenchmarkDotNet run
/// does not fail the gate, while a real regression, slow in every round, still does.
/// </summary>
internal static class SpeedGate
{
    public const double RegressionRatio = 0.7;
    private const int Rounds = 3;

    public static IEnumerable<(bool Ok, string What)> Check(SuiteMeasurement measured, Dictionary<string, double> baseline)
    {
        var inv = CultureInfo.InvariantCulture;
        if (baseline.Count == 0)
        {
            yield return (false, $"no baseline for {Baseline.MachineKey} in perf/baseline.json (write one on a quiet machine: `-- ci --write-baseline`)");
            yield break;
        }

        foreach (var row in measured.Rows.Where(r => r.Case.Descriptor.Type != typeof(OnnxBenchmarks)))
        {
            if (!baseline.TryGetValue(row.Name, out double before))
            {
                Console.WriteLine($"speed: {row.Name} has no baseline for {Baseline.MachineKey}: not gated");
                continue;
            }

            double ratio = measured.PercentOfPeak(row) / before;
            if (ratio >= RegressionRatio)
            {
                yield return (true, string.Create(inv, $"speed: {row.Name} {ratio:F2}x baseline"));
                continue;
            }

            double best;
            using (var direct = new DirectCase(row.Case))
            {
                best = RobustTiming.PercentOfPeak(direct, row.Threads, row.Flops, Rounds) / before;
            }

            yield return (best >= RegressionRatio, string.Create(inv, $"speed: {row.Name} {ratio:F2}x baseline in the suite, best of {Rounds} interleaved re-measures ({RobustTiming.ClockName(row.Threads)}) {best:F2}x{(best >= RegressionRatio ? " (was load)" : " REGRESSION")}"));
        }
    }
}
