using System.Diagnostics;
using EdgeLstm.Diagnostics;
using EdgeLstm.Simd;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// <c>products [WORK THREADS]</c>: how a call's time divides between its matrix products and everything else, from
/// <see cref="ProductClock"/>, beside the FMA peak measured in the same run. A target stated as a fraction of the peak
/// needs the products to run at a rate that this arithmetic gives: with the time outside the products as it is, the
/// call meets fraction f when F/(rate) + outside ≤ F/(f·peak), so rate ≥ F / (F/(f·peak) − outside). A rate above the
/// peak means the target cannot be met without making the work outside the products faster.
/// Then each product shape (C[M×N] of depth K, how many ran): its summed wall time in the call and its rate, against
/// the same peak. Wall-clock times (one-thread rows too), best of several calls: the call with the least total time is
/// the one read.
/// </summary>
internal static class ProductShare
{
    public static int Run(string[] args)
    {
        var cases = ModelBenchmarks.Rows(args, [(ModelBenchmarks.Work.TrainingIterationBatch64, 1), (ModelBenchmarks.Work.TrainingIterationBatch64, 2), (ModelBenchmarks.Work.InferenceBatch64, 1), (ModelBenchmarks.Work.InferenceBatch64, 2)]);
        if (cases.Any(c => c.Work is ModelBenchmarks.Work.InferenceBatch1 or ModelBenchmarks.Work.StreamingStepBatch1))
        {
            Console.Error.WriteLine("products: the batch-1 rows run their steps split by hidden units, which the product clock does not time; use `steps` for them.");
            return 2;
        }

        foreach (var (work, threads) in cases)
        {
            Measure(work, threads, Target(work, threads));
        }

        return 0;
    }

    /// <summary>Issue 13's target for a row as a fraction of the peak: the LSTM training iteration's; 0 for the others (theirs are against ONNX Runtime).</summary>
    private static double Target(ModelBenchmarks.Work work, int threads)
        => work == ModelBenchmarks.Work.TrainingIterationBatch64 ? (threads == 1 ? 0.80 : 0.75) : 0;

    private static void Measure(ModelBenchmarks.Work work, int threads, double target)
    {
        var bench = new ModelBenchmarks { Case = work, Threads = threads };
        bench.Setup();
        long until = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < until)
        {
            bench.Run();
        }

        double peak = FmaPeakProbe.Measure(SimdWidth.Auto, threads, rounds: 10) * 1e9;
        var clock = bench.ProductClock;
        double call = double.MaxValue, inProducts = 0;
        long products = 0;
        ProductClock.Shape[] shapes = [];
        for (int i = 0; i < 30; i++)
        {
            clock.Start();
            long t = Stopwatch.GetTimestamp();
            bench.Run();
            double elapsed = Stopwatch.GetElapsedTime(t).TotalSeconds;
            clock.Stop();
            if (elapsed < call)
            {
                call = elapsed;
                products = clock.Products;
                inProducts = clock.Elapsed.TotalSeconds;
                shapes = clock.Shapes.ToArray();
            }
        }

        bench.Cleanup();
        double flops = bench.FlopsPerOperation;
        double outside = call - inProducts;
        Console.WriteLine(TimeText.Invariant($"{work}, {threads} thread(s), FMA peak {peak / 1e9:F1} GFLOP/s: best call {call * 1e3:F2} ms ({100 * flops / call / peak:F1} % of peak)"));
        Console.WriteLine(TimeText.Invariant($"  {products} products {inProducts * 1e3:F2} ms ({100 * inProducts / call:F1} % of the call) at {100 * flops / inProducts / peak:F1} % of peak; outside them {outside * 1e3:F2} ms"));
        Console.WriteLine(TimeText.Invariant($"  the products alone at 100 % of peak: {flops / peak * 1e3:F2} ms; plus the time outside: {((flops / peak) + outside) * 1e3:F2} ms = {100 * flops / peak / ((flops / peak) + outside):F1} % of peak at best"));
        foreach (var shape in shapes.OrderByDescending(x => x.Elapsed))
        {
            double seconds = shape.Elapsed.TotalSeconds, shapeFlops = 2.0 * shape.MultiplyAdds * shape.Count;
            string form = shape.Form + (shape.Int8 ? " int8" : string.Empty);
            string second = shape.M2 == 0 ? string.Empty : TimeText.Invariant($" and {shape.M2}x{shape.K2} (one pass over B)");
            Console.WriteLine(TimeText.Invariant($"    {form,-10} {shape.M,5}x{shape.K,-5}->{shape.N,-5}{second} x{shape.Count,-3} {seconds * 1e3,7:F2} ms at {100 * shapeFlops / seconds / peak,5:F1} % of peak"));
        }

        if (target > 0)
        {
            double budget = (flops / (target * peak)) - outside;
            Console.WriteLine(budget > 0
                ? TimeText.Invariant($"  {target * 100:F0} % of peak needs the products at >= {100 * flops / budget / peak:F1} % of peak")
                : TimeText.Invariant($"  {target * 100:F0} % of peak is out of reach: the time outside the products alone exceeds it"));
        }

        Console.WriteLine();
    }

}
