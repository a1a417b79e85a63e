using System.Diagnostics;
using EdgeLstm.Diagnostics;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// <c>steps [WORK THREADS]</c>: where a recurrent step's time goes, from <see cref="StepTimeline"/> marks over many
/// calls: the product, the cell and (split by units) the exchange between the parts, medians per step. The batch-1
/// rows' two-thread bound in the README is this arithmetic: a step cannot take less than its product plus the exchange.
/// Each mark reads the clock (tens of nanoseconds here), so the call's best time is printed with and without
/// recording: the difference is what the marks added.
/// </summary>
internal static class StepBreakdown
{
    public static int Run(string[] args)
    {
        var cases = ModelBenchmarks.Rows(args, [(ModelBenchmarks.Work.InferenceBatch1, 2), (ModelBenchmarks.Work.StreamingStepBatch1, 2), (ModelBenchmarks.Work.InferenceBatch64, 1), (ModelBenchmarks.Work.InferenceBatch64, 2)]);
        foreach (var (work, threads) in cases)
        {
            Measure(work, threads);
        }

        return 0;
    }

    private static void Measure(ModelBenchmarks.Work work, int threads)
    {
        var bench = new ModelBenchmarks { Case = work, Threads = threads };
        bench.Setup();
        int calls = work == ModelBenchmarks.Work.InferenceBatch64 ? 40 : work == ModelBenchmarks.Work.StreamingStepBatch1 ? 4000 : 400;
        double plain = BestCall(bench, calls, TimeSpan.FromSeconds(1));
        StepTimeline.Start(threads, marksPerPart: calls * 400);
        double recorded = BestCall(bench, calls, TimeSpan.Zero);
        StepTimeline.Stop();
        var marks = StepTimeline.Marks();
        bench.Cleanup();

        Console.WriteLine(TimeText.Invariant($"{work}, {threads} thread(s): best call {plain:F1} us, {recorded:F1} us while recording {calls} calls"));
        bool unitSplit = marks.Any(m => m.Point == StepTimeline.Point.Published);
        Console.WriteLine(unitSplit ? UnitSplit(marks) : RowSplit(marks));
        Console.WriteLine();
    }

    /// <summary>Warms up for <paramref name="warmUp"/>, then the best of <paramref name="calls"/> calls, in µs.</summary>
    private static double BestCall(ModelBenchmarks bench, int calls, TimeSpan warmUp)
    {
        long until = Stopwatch.GetTimestamp() + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            bench.Run();
        }

        double best = double.MaxValue;
        for (int i = 0; i < calls; i++)
        {
            long t = Stopwatch.GetTimestamp();
            bench.Run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t).TotalMicroseconds);
        }

        return best;
    }

    /// <summary>
    /// Steps split by units: a region is one layer of one call (every part starts step 0 once in it). For steps after
    /// the first: the period between a thread's successive "all published" marks, its product, its cell, and the rest
    /// (publishing, waiting for the other parts' h, claiming the next step).
    /// </summary>
    private static string UnitSplit(List<(StepTimeline.Point Point, int Part, int Step, long Ticks)> marks)
    {
        var regions = new List<Dictionary<(StepTimeline.Point, int, int), long>>();
        Dictionary<(StepTimeline.Point, int, int), long>? region = null;
        foreach (var (point, part, step, ticks) in marks)
        {
            if (point == StepTimeline.Point.Start && step == 0 && (region is null || region.ContainsKey((point, part, 0))))
            {
                region = [];
                regions.Add(region);
            }

            if (region is not null)
            {
                region[(point, part, step)] = ticks;
            }
        }

        var lines = new List<string>();
        int layers = regions.Count > 1 && regions.Count % 2 == 0 ? 2 : 1;
        for (int layer = 0; layer < layers; layer++)
        {
            List<double> period = [], product = [], cell = [], firstProduct = [], firstCell = [], whole = [];
            foreach (var r in regions.Where((_, i) => i % layers == layer))
            {
                long start = long.MaxValue, end = long.MinValue;
                foreach (var ((point, part, step), ticks) in r)
                {
                    start = point == StepTimeline.Point.Start ? Math.Min(start, ticks) : start;
                    end = point == StepTimeline.Point.AllPublished ? Math.Max(end, ticks) : end;
                    if (point == StepTimeline.Point.Start && r.TryGetValue((StepTimeline.Point.ProductDone, part, step), out long productDone))
                    {
                        (step == 0 ? firstProduct : product).Add(Micro(productDone - ticks));
                        if (r.TryGetValue((StepTimeline.Point.CellDone, part, step), out long cellDone))
                        {
                            (step == 0 ? firstCell : cell).Add(Micro(cellDone - productDone));
                        }
                    }

                    if (point == StepTimeline.Point.AllPublished && step > 0 && r.TryGetValue((point, part, step - 1), out long before))
                    {
                        period.Add(Micro(ticks - before));
                    }
                }

                whole.Add(Micro(end - start));
            }

            string steps = period.Count == 0 ? "one step" : TimeText.Invariant($"a step every {Median(period):F2} us = product {Median(product):F2} + cell {Median(cell):F2} + exchange {Median(period) - Median(product) - Median(cell):F2} after the first (medians of {period.Count})");
            lines.Add(TimeText.Invariant($"  layer {layer + 1}: {Median(whole):F1} us from its first start to its last step seen by every part; {steps}; step 0, with the part's input projection: product {Median(firstProduct):F2} + cell {Median(firstCell):F2}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Steps split by rows (or on one thread): the step's wall time on the caller, and each part's product and cell.</summary>
    private static string RowSplit(List<(StepTimeline.Point Point, int Part, int Step, long Ticks)> marks)
    {
        List<double> wall = [], product = [], cell = [], slowestPart = [];
        Dictionary<(StepTimeline.Point, int), long>? step = null;
        foreach (var (point, part, _, ticks) in marks)
        {
            if (point == StepTimeline.Point.RegionStart)
            {
                step = [];
            }

            if (step is null)
            {
                continue;
            }

            step[(point, part)] = ticks;
            if (point != StepTimeline.Point.RegionEnd)
            {
                continue;
            }

            double slowest = 0;
            foreach (var ((p, q), start) in step.Where(e => e.Key.Item1 == StepTimeline.Point.Start))
            {
                if (step.TryGetValue((StepTimeline.Point.ProductDone, q), out long productDone) && step.TryGetValue((StepTimeline.Point.CellDone, q), out long cellDone))
                {
                    product.Add(Micro(productDone - start));
                    cell.Add(Micro(cellDone - productDone));
                    slowest = Math.Max(slowest, Micro(cellDone - start));
                }
            }

            wall.Add(Micro(ticks - step[(StepTimeline.Point.RegionStart, 0)]));
            slowestPart.Add(slowest);
            step = null;
        }

        double w = Median(wall), s = Median(slowestPart);
        return TimeText.Invariant($"  a step {w:F1} us: a part's product {Median(product):F1} + its cell {Median(cell):F1}; the slowest part {s:F1}, the region's own cost {w - s:F1} (medians of {wall.Count} steps)");
    }

    private static double Micro(long ticks) => ticks * 1e6 / Stopwatch.Frequency;

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        return values[values.Count / 2];
    }

}
