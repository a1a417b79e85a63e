using System.Diagnostics;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Training;

namespace EdgeLstm.Diagnostics;

/// <summary>One measured figure: seconds per call (median of the timed calls), GFLOP/s, and bytes allocated per call.</summary>
public sealed record ThroughputResult(string Work, int Threads, double SecondsPerCall, double Gflops, double AllocatedBytesPerCall);

/// <summary>
/// Model-level timings of the engine on synthetic data (a warm-up, then the median of several calls): a training
/// iteration, inference of whole sequences, and one streaming step. The shell behind <c>edgelstm bench</c>, which runs
/// where BenchmarkDotNet cannot (a Native AOT binary on a board).
/// </summary>
public static class ThroughputBenchmark
{
    /// <summary>Times one training iteration (forward, backward, Adam) at <paramref name="batch"/>.</summary>
    public static ThroughputResult Training(LstmConfig config, int batch, int threads, int calls = 10, SimdWidth width = SimdWidth.Auto)
    {
        var model = LstmModel.Create(config, 1);
        var (x, labels) = SyntheticBatch(config, batch);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, Width = width });
        return Time($"training iteration, batch {batch}", threads, calls, FlopCount.Training(config, config.Steps) * batch, () => trainer.TrainBatch(x, labels));
    }

    /// <summary>Times inference of <paramref name="batch"/> whole sequences.</summary>
    public static ThroughputResult Inference(LstmConfig config, int batch, int threads, int calls = 20, SimdWidth width = SimdWidth.Auto)
    {
        var model = LstmModel.Create(config, 1);
        var (x, _) = SyntheticBatch(config, batch);
        var probabilities = new float[batch * config.Classes];
        using var predictor = new LstmPredictor(model, threads, width);
        return Time($"inference, batch {batch}, {config.Steps} steps", threads, calls, FlopCount.Forward(config, config.Steps) * batch, () => predictor.Predict(x, batch, probabilities));
    }

    /// <summary>Times one streaming step of one sequence through every layer and the dense layer.</summary>
    public static ThroughputResult StreamingStep(LstmConfig config, int threads, int calls = 2000, SimdWidth width = SimdWidth.Auto)
    {
        var model = LstmModel.Create(config, 1);
        var (x, _) = SyntheticBatch(config, 1);
        var probabilities = new float[config.Classes];
        using var stream = new LstmStream(model, 1, threads, width);
        var step = x.AsMemory(0, config.InputSize);
        return Time("streaming step, batch 1", threads, calls, FlopCount.StreamingStep(config), () => stream.Step(step.Span, default, probabilities));
    }

    private static (float[] X, int[] Labels) SyntheticBatch(LstmConfig config, int batch)
    {
        var rng = new SeededRandom(7);
        var x = new float[batch * config.Steps * config.InputSize];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextSingle();
        }

        var labels = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            labels[i] = rng.NextInt(config.Classes);
        }

        return (x, labels);
    }

    private static ThroughputResult Time(string work, int threads, int calls, double flopsPerCall, Action call)
    {
        call();
        call();
        var seconds = new double[calls];
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        double allocated = (double)(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / calls;
        Array.Sort(seconds);
        double median = seconds[calls / 2];
        return new ThroughputResult(work, threads, median, flopsPerCall / median / 1e9, allocated);
    }
}
