using BenchmarkDotNet.Attributes;
using EdgeLstm.Inference;
using EdgeLstm.Training;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// The recipe's 2×256 MNIST model: what a user waits for; and its training iteration with GRU cells beside the LSTM's.
/// FLOP counts from <see cref="Diagnostics.FlopCount"/>.
/// </summary>
public class ModelBenchmarks : IFlopCounted
{
    private LstmTrainer? _trainer;
    private LstmPredictor? _predictor;
    private LstmStream? _stream;
    private float[] _x64 = [], _x1 = [], _probabilities = [];
    private int[] _labels = [];

    public enum Work
    {
        TrainingIterationBatch64,

        /// <summary>The same iteration with 2×256 GRU cells (3 gate blocks instead of 4): reported beside the LSTM's.</summary>
        TrainingIterationBatch64Gru,
        InferenceBatch64,
        InferenceBatch1,
        StreamingStepBatch1,
    }

    [Params(Work.TrainingIterationBatch64, Work.TrainingIterationBatch64Gru, Work.InferenceBatch64, Work.InferenceBatch1, Work.StreamingStepBatch1)]
    public Work Case { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    public double FlopsPerOperation => BenchInputs.Flops(Case);

    /// <summary>
    /// The rows a perf mode measures: the one its arguments name (<c>WORK THREADS</c>), or <paramref name="defaults"/>
    /// when it has none.
    /// </summary>
    internal static (Work Work, int Threads)[] Rows(string[] args, (Work Work, int Threads)[] defaults) => args.Length == 2
        ? [(Enum.Parse<Work>(args[0]), int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture))]
        : defaults;

    /// <summary>The product clock of the context a training or predictor case runs on (after <see cref="Setup"/>).</summary>
    internal EdgeLstm.Diagnostics.ProductClock ProductClock => (Case is Work.TrainingIterationBatch64 or Work.TrainingIterationBatch64Gru ? _trainer!.Context : _predictor!.Context).ProductClock;

    [GlobalSetup]
    public void Setup()
    {
        (_x64, _labels) = BenchInputs.Batch64();
        _x1 = _x64[..(28 * 28)];
        _probabilities = new float[64 * 10];
        if (Case == Work.TrainingIterationBatch64Gru)
        {
            _trainer = new LstmTrainer(BenchInputs.Model(BenchInputs.GruConfig), new TrainerOptions { Threads = Threads });
            return;
        }

        var model = BenchInputs.Model(BenchInputs.Config);
        _trainer = new LstmTrainer(model, new TrainerOptions { Threads = Threads });
        _predictor = new LstmPredictor(model, Threads);
        _stream = new LstmStream(model, 1, Threads);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _trainer?.Dispose();
        _predictor?.Dispose();
        _stream?.Dispose();
    }

    [Benchmark]
    public void Run()
    {
        switch (Case)
        {
            case Work.TrainingIterationBatch64:
            case Work.TrainingIterationBatch64Gru:
                _trainer!.TrainBatch(_x64, _labels);
                break;
            case Work.InferenceBatch64:
                _predictor!.Predict(_x64, 64, _probabilities);
                break;
            case Work.InferenceBatch1:
                _predictor!.Predict(_x1, 1, _probabilities.AsSpan(0, 10));
                break;
            default:
                _stream!.Step(_x1.AsSpan(0, 28), default, _probabilities.AsSpan(0, 10));
                break;
        }
    }
}
