using System.Globalization;

namespace EdgeLstm.Benchmarks;

/// <summary>The suite's table: each case's time, GFLOP/s, fraction of the in-run FMA peak, baseline, and ONNX ratio.</summary>
internal static class PerfReport
{
    /// <summary>Prints the table.</summary>
    public static void Print(SuiteMeasurement measured, Dictionary<string, double> baseline, bool onnx)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"FMA peak measured in this run: {measured.Peak.GetValueOrDefault(1):F1} GFLOP/s on 1 thread, {measured.Peak.GetValueOrDefault(2):F1} on 2"));
        Console.WriteLine($"{"case",-58} {"time",11} {"GFLOP/s",8} {"% peak",7} {"baseline",8} {"ratio",6} {"ONNX RT",11} {"speed-up",9}");
        foreach (var row in measured.Rows)
        {
            double percent = measured.PercentOfPeak(row);
            string baselineText = "-", ratioText = "-", onnxTime = string.Empty, speedUp = string.Empty;
            if (baseline.TryGetValue(row.Name, out double before))
            {
                baselineText = before.ToString("F1", inv);
                ratioText = (percent / before).ToString("F2", inv);
            }

            if (measured.OnnxCounterpart(row) is { } other)
            {
                onnxTime = TimeText.Format(other.Seconds);
                speedUp = (other.Seconds / row.Seconds).ToString("F2", inv) + "x";
            }
            else if (!onnx && row.Case.Descriptor.Type == typeof(ModelBenchmarks) && (row.Name.Contains("Inference", StringComparison.Ordinal) || row.Name.Contains("Streaming", StringComparison.Ordinal)))
            {
                onnxTime = "n/a";
            }

            Console.WriteLine(string.Create(inv, $"{row.Name,-58} {TimeText.Format(row.Seconds),11} {row.Gflops,8:F1} {percent,6:F1}% {baselineText,8} {ratioText,6} {onnxTime,11} {speedUp,9}"));
        }

        Console.WriteLine("% peak: of the FMA peak measured in this run; ratio: % peak / baseline (informative; the gate fails below 0.7);");
        Console.WriteLine("speed-up: ONNX Runtime time / EdgeLstm time for the same work in this run (> 1: EdgeLstm is faster).");
    }
}
