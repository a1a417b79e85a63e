using EdgeLstm.Model;

namespace EdgeLstm.Benchmarks;

/// <summary>The one model and the one input batch that EdgeLstm and ONNX Runtime are both timed on.</summary>
internal static class BenchInputs
{
    public static readonly LstmConfig Config = LstmConfig.Mnist;

    /// <summary>The same shape with GRU cells, for the training row timed beside the LSTM's (no ONNX Runtime counterpart).</summary>
    public static readonly LstmConfig GruConfig = Config with { Cell = CellKind.Gru };

    public static LstmModel Model() => Model(Config);

    public static LstmModel Model(LstmConfig config) => LstmModel.Create(config, 1);

    /// <summary>64 synthetic sequences [64 × 28 × 28] and 64 labels, the same on every call.</summary>
    public static (float[] X, int[] Labels) Batch64()
    {
        var rng = new SeededRandom(2);
        var x = Enumerable.Range(0, 64 * Config.Steps * Config.InputSize).Select(_ => rng.NextSingle()).ToArray();
        var labels = Enumerable.Range(0, 64).Select(_ => rng.NextInt(Config.Classes)).ToArray();
        return (x, labels);
    }

    /// <summary>Floating-point operations of one call of <paramref name="work"/> (a multiply-add is 2).</summary>
    public static double Flops(ModelBenchmarks.Work work) => work switch
    {
        ModelBenchmarks.Work.TrainingIterationBatch64 => 64 * Diagnostics.FlopCount.Training(Config, Config.Steps),
        ModelBenchmarks.Work.TrainingIterationBatch64Gru => 64 * Diagnostics.FlopCount.Training(GruConfig, GruConfig.Steps),
        ModelBenchmarks.Work.InferenceBatch64 => 64 * Diagnostics.FlopCount.Forward(Config, Config.Steps),
        ModelBenchmarks.Work.InferenceBatch1 => Diagnostics.FlopCount.Forward(Config, Config.Steps),
        _ => Diagnostics.FlopCount.StreamingStep(Config),
    };
}
