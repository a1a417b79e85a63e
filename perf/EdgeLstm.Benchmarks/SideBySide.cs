using System.Globalization;
using EdgeLstm.Benchmarks.Onnx;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// <c>side-by-side</c>: every model-level row, EdgeLstm and ONNX Runtime on the same work, measured in alternating
/// rounds in one process, each figure the best call of all rounds (the calls no other process interrupted: on a shared
/// machine the median measures the neighbours, the best call measures the code), with the FMA peak measured the same way
/// before each thread count (<see cref="RobustTiming"/>: one-thread rows in CPU time of the calling thread, two-thread
/// rows by the wall clock). The README's table comes from this.
/// </summary>
internal static class SideBySide
{
    private const int Rounds = 4;
    private const double SecondsPerTurn = 0.3;

    public static int Run(string[] only)
    {
        var inv = CultureInfo.InvariantCulture;
        string? why = OnnxSessions.WhyUnavailable();
        Console.WriteLine(why is null ? $"ONNX Runtime {OnnxSessions.Version}" : $"ONNX Runtime NOT AVAILABLE here ({why}): EdgeLstm rows only");
        Console.WriteLine($"{Baseline.MachineKey} vectors, {Environment.ProcessorCount} processors; best call of {Rounds} alternating rounds of {SecondsPerTurn} s each");
        var bounds = new List<(ModelBenchmarks.Work Work, double Edge, double Onnx, double Bound, string Arithmetic, double Floor, string? Design)>();
        foreach (int threads in new[] { 1, 2 })
        {
            double peak = RobustTiming.PeakGflops(threads);
            Console.WriteLine();
            Console.WriteLine(string.Create(inv, $"{threads} thread(s): FMA peak {peak:F1} GFLOP/s; times are {RobustTiming.ClockName(threads)}"));
            Console.WriteLine($"  {"work",-28} {"EdgeLstm",11} {"GFLOP/s",8} {"% peak",7} {"ONNX RT",11} {"% peak",7} {"speed-up",9}");
            foreach (var work in Enum.GetValues<ModelBenchmarks.Work>())
            {
                if (only.Length > 0 && !only.Contains(work.ToString()))
                {
                    continue;
                }

                var edge = new ModelBenchmarks { Case = work, Threads = threads };
                edge.Setup();
                OnnxBenchmarks? onnx = null;
                if (why is null && OnnxBenchmarks.InferenceWork().Contains(work))
                {
                    onnx = new OnnxBenchmarks { Case = work, Threads = threads };
                    onnx.Setup();
                }

                using var bound = WeightReadBound.For(work, threads);
                using var floor = UnitSplitFloor.For(work, threads);
                double bestEdge = double.MaxValue, bestOnnx = double.MaxValue, bestBound = double.MaxValue, bestFloor = double.MaxValue;
                for (int round = 0; round < Rounds; round++)
                {
                    bestEdge = Math.Min(bestEdge, RobustTiming.BestSeconds(edge.Run, threads, SecondsPerTurn));
                    if (onnx is not null)
                    {
                        bestOnnx = Math.Min(bestOnnx, RobustTiming.BestSeconds(onnx.Run, threads, SecondsPerTurn));
                    }

                    if (bound is not null)
                    {
                        bestBound = Math.Min(bestBound, RobustTiming.BestSeconds(bound.Run, threads, SecondsPerTurn / 3));
                    }

                    if (floor is not null)
                    {
                        bestFloor = Math.Min(bestFloor, RobustTiming.BestSeconds(floor.Run, threads, SecondsPerTurn / 3));
                    }
                }

                edge.Cleanup();
                onnx?.Cleanup();
                double flops = BenchInputs.Flops(work);
                double gflops = flops / bestEdge / 1e9;
                string onnxText = onnx is null ? "-" : TimeText.Format(bestOnnx);
                string onnxPercent = onnx is null ? "-" : (100 * flops / bestOnnx / 1e9 / peak).ToString("F1", inv) + "%";
                string ratio = onnx is null ? "-" : (bestOnnx / bestEdge).ToString("F2", inv) + "x";
                Console.WriteLine(string.Create(inv, $"  {work,-28} {TimeText.Format(bestEdge),11} {gflops,8:F1} {100 * gflops / peak,6:F1}% {onnxText,11} {onnxPercent,7} {ratio,9}"));
                if (bound is not null)
                {
                    bounds.Add((work, bestEdge, onnx is null ? double.NaN : bestOnnx, bestBound, bound.Description, floor is null ? double.NaN : bestFloor, floor?.Description));
                }
            }

            // The batch-1 rows against the time a bare load of their weights takes (WeightReadBound), and on several
            // threads against the floor of the unit-split design (UnitSplitFloor), in the same rounds.
            foreach (var (work, edgeSeconds, onnxSeconds, boundSeconds, what, floorSeconds, design) in bounds)
            {
                Console.WriteLine(string.Create(inv, $"  {work,-28} weights alone: {TimeText.Format(boundSeconds)} ({what}); EdgeLstm {edgeSeconds / boundSeconds:F2}x that"));
                if (!double.IsNaN(onnxSeconds))
                {
                    double twice = onnxSeconds / 2;
                    string verdict = twice < boundSeconds ? "faster than loading the weights: out of reach in fp32" : "slower than loading the weights: reachable";
                    Console.WriteLine(string.Create(inv, $"  {"",-28} 2x ONNX RT = {TimeText.Format(twice)} = {twice / boundSeconds:F2}x the weights alone: {verdict}"));
                }

                if (design is not null)
                {
                    Console.WriteLine(string.Create(inv, $"  {"",-28} the unit split's floor: {TimeText.Format(floorSeconds)} ({design}); EdgeLstm {edgeSeconds / floorSeconds:F2}x that"));
                    if (!double.IsNaN(onnxSeconds))
                    {
                        double twice = onnxSeconds / 2;
                        string verdict = twice < floorSeconds ? "faster than the design's floor: out of reach for this design" : "slower than the design's floor: reachable";
                        Console.WriteLine(string.Create(inv, $"  {"",-28} 2x ONNX RT = {twice / floorSeconds:F2}x the floor: {verdict}"));
                    }
                }
            }

            bounds.Clear();
        }

        Console.WriteLine();
        Console.WriteLine("speed-up: ONNX Runtime time / EdgeLstm time (> 1: EdgeLstm faster); % peak: of the FMA peak measured above.");
        return 0;
    }
}
