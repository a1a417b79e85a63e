using System.CommandLine;
using System.Globalization;
using EdgeLstm.Diagnostics;
using EdgeLstm.Model;
using EdgeLstm.Simd;

namespace EdgeLstm.Cli.Commands;

/// <summary>
/// <c>edgelstm bench</c>: the model-level figures of the performance table, measured on this machine (a board runs the
/// AOT binary, where BenchmarkDotNet cannot), each as time, GFLOP/s and a fraction of the FMA peak measured in the
/// same run.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var threads = CommonOptions.Int("--threads", "Also measure with this many threads (0 = one per processor). The 1-thread figures are always measured.", 0, 0, 256);
        var hidden = CommonOptions.Int("--hidden", "Units per recurrent layer of the benchmarked model.", 256, 1, 4096);
        var layers = CommonOptions.Int("--layers", "Recurrent layers of the benchmarked model.", 2, 1, 8);
        var cell = CommonOptions.Cell();
        var command = new Command("bench", "Measure training and inference speed of the recipe's model (28 steps × 28 inputs → 2×256 → 10) on synthetic data: a training iteration at batch 64, inference at batch 64 and 1, one streaming step. Prints time, GFLOP/s and % of this processor's measured FMA peak.")
        {
            threads, hidden, layers, cell,
        };
        command.SetAction(parsed =>
        {
            int requested = parsed.GetValue(threads);
            var config = LstmConfig.Mnist with { HiddenSize = parsed.GetValue(hidden), Layers = parsed.GetValue(layers), Cell = parsed.GetValue(cell) };
            int many = requested == 0 ? Environment.ProcessorCount : requested;
            var o = context.Out;
            var inv = CultureInfo.InvariantCulture;
            var width = SimdSupport.Widest;
            o.WriteLine(string.Create(inv, $"model: {config.Describe()}; {FlopCount.Forward(config, config.Steps) / 1e6:F2} MFLOP forward, {FlopCount.Training(config, config.Steps) / 1e6:F2} MFLOP forward+backward per sequence"));
            o.WriteLine($"vectors: {(int)width} bits; {Environment.ProcessorCount} processors");
            foreach (int n in many == 1 ? [1] : new[] { 1, many })
            {
                context.Cancellation.ThrowIfCancellationRequested();
                double peak = FmaPeakProbe.Measure(width, n);
                o.WriteLine();
                o.WriteLine(string.Create(inv, $"{n} thread(s): FMA peak {peak:F1} GFLOP/s"));
                o.WriteLine($"  {"work",-36} {"time",12} {"GFLOP/s",8} {"% peak",7} {"bytes/call",10}");
                foreach (var measure in new Func<ThroughputResult>[]
                {
                    () => ThroughputBenchmark.Training(config, 64, n),
                    () => ThroughputBenchmark.Inference(config, 64, n),
                    () => ThroughputBenchmark.Inference(config, 1, n, calls: 100),
                    () => ThroughputBenchmark.StreamingStep(config, n),
                })
                {
                    context.Cancellation.ThrowIfCancellationRequested();
                    var r = measure();
                    o.WriteLine(string.Create(inv, $"  {r.Work,-36} {r.SecondsPerCall * 1e3,9:F3} ms {r.Gflops,8:F1} {100 * r.Gflops / peak,6:F1}% {r.AllocatedBytesPerCall,10:F0}"));
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
