using System.Globalization;
using EdgeLstm.Benchmarks.Onnx;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// <c>int8-side-by-side [threads]</c>: each inference row of the 2×256 model three ways in alternating rounds in one
/// process, EdgeLstm int8 (<see cref="Int8ModelBenchmarks"/>), EdgeLstm fp32 (<see cref="ModelBenchmarks"/>) and ONNX
/// Runtime fp32 (<see cref="OnnxBenchmarks"/>), each figure the best call of all rounds, as <see cref="SideBySide"/>
/// measures; printed as ratios, since on a shared machine only figures taken side by side compare.
/// </summary>
internal static class Int8SideBySide
{
    private const int Rounds = 6;
    private const double SecondsPerTurn = 0.3;

    public static int Run(int[] threadCounts)
    {
        var inv = CultureInfo.InvariantCulture;
        string? why = OnnxSessions.WhyUnavailable();
        Console.WriteLine(why is null ? $"ONNX Runtime {OnnxSessions.Version}" : $"ONNX Runtime NOT AVAILABLE here ({why}): EdgeLstm rows only");
        Console.WriteLine($"{Baseline.MachineKey} vectors, {Environment.ProcessorCount} processors, AVX-512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}, AVX-VNNI {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}; best call of {Rounds} alternating rounds of {SecondsPerTurn} s each");
        foreach (int threads in threadCounts)
        {
            Console.WriteLine();
            Console.WriteLine($"{threads} thread(s); times are {RobustTiming.ClockName(threads)}");
            Console.WriteLine($"  {"work",-22} {"int8",11} {"fp32",11} {"ONNX fp32",11} {"fp32/int8",10} {"ONNX/int8",10} {"ONNX/fp32",10}");
            foreach (var work in Int8ModelBenchmarks.Int8Work())
            {
                var int8 = new Int8ModelBenchmarks { Case = work, Threads = threads };
                var fp32 = new ModelBenchmarks { Case = work, Threads = threads };
                OnnxBenchmarks? onnx = why is null ? new OnnxBenchmarks { Case = work, Threads = threads } : null;
                int8.Setup();
                fp32.Setup();
                onnx?.Setup();
                double bestInt8 = double.MaxValue, bestFp32 = double.MaxValue, bestOnnx = double.MaxValue;
                for (int round = 0; round < Rounds; round++)
                {
                    bestInt8 = Math.Min(bestInt8, RobustTiming.BestSeconds(int8.Run, threads, SecondsPerTurn));
                    bestFp32 = Math.Min(bestFp32, RobustTiming.BestSeconds(fp32.Run, threads, SecondsPerTurn));
                    if (onnx is not null)
                    {
                        bestOnnx = Math.Min(bestOnnx, RobustTiming.BestSeconds(onnx.Run, threads, SecondsPerTurn));
                    }
                }

                int8.Cleanup();
                fp32.Cleanup();
                onnx?.Cleanup();
                string onnxTime = onnx is null ? "-" : TimeText.Format(bestOnnx);
                string onnxInt8 = onnx is null ? "-" : (bestOnnx / bestInt8).ToString("F2", inv) + "x";
                string onnxFp32 = onnx is null ? "-" : (bestOnnx / bestFp32).ToString("F2", inv) + "x";
                Console.WriteLine(string.Create(inv, $"  {work,-22} {TimeText.Format(bestInt8),11} {TimeText.Format(bestFp32),11} {onnxTime,11} {bestFp32 / bestInt8,9:F2}x {onnxInt8,10} {onnxFp32,10}"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("fp32/int8: EdgeLstm fp32 time / EdgeLstm int8 time (> 1: int8 faster); ONNX/int8 and ONNX/fp32: ONNX Runtime fp32 time / EdgeLstm's.");
        Console.WriteLine("Absolute times are of a shared machine: quote the ratios.");
        return 0;
    }

    /// <summary><c>int8-side-by-side kernels</c>: <see cref="Int8MatVecBenchmarks"/>' shapes, int8 against the fp32 products, alternating.</summary>
    public static int Kernels()
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"  {"shape",-22} {"int8",11} {"fp32",11} {"fp32/int8",10}");
        foreach (int cols in new[] { 256, 512 })
        {
            foreach (int batch in new[] { 1, 8, 64 })
            {
                var bench = new Int8MatVecBenchmarks { Rows = 1024, Cols = cols, Batch = batch };
                bench.Setup();
                double bestInt8 = double.MaxValue, bestFp32 = double.MaxValue;
                for (int round = 0; round < Rounds; round++)
                {
                    bestInt8 = Math.Min(bestInt8, RobustTiming.BestSeconds(bench.Int8, 1, SecondsPerTurn / 3));
                    bestFp32 = Math.Min(bestFp32, RobustTiming.BestSeconds(bench.Fp32, 1, SecondsPerTurn / 3));
                }

                Console.WriteLine(string.Create(inv, $"  {$"{batch}x{cols}->1024",-22} {TimeText.Format(bestInt8),11} {TimeText.Format(bestFp32),11} {bestFp32 / bestInt8,9:F2}x"));
            }
        }

        return 0;
    }
}
