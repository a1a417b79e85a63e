using BenchmarkDotNet.Attributes;
using EdgeLstm.Inference;
using EdgeLstm.Quantization;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// The inference rows of <see cref="ModelBenchmarks"/> on the same 2×256 model quantised to int8 weights
/// (<see cref="Int8Weights.Quantize"/>): same inputs, same work, so each row has an fp32 EdgeLstm and an ONNX Runtime
/// fp32 counterpart. <c>int8-side-by-side</c> times the three interleaved and prints the ratios.
/// </summary>
public class Int8ModelBenchmarks : IFlopCounted
{
    private LstmPredictor? _predictor;
    private LstmStream? _stream;
    private float[] _x64 = [], _x1 = [], _probabilities = [];

    public static IEnumerable<ModelBenchmarks.Work> Int8Work() => OnnxBenchmarks.InferenceWork();

    [ParamsSource(nameof(Int8Work))]
    public ModelBenchmarks.Work Case { get; set; } = ModelBenchmarks.Work.InferenceBatch1;

    [Params(1, 2)]
    public int Threads { get; set; }

    public double FlopsPerOperation => BenchInputs.Flops(Case);

    [GlobalSetup]
    public void Setup()
    {
        (_x64, _) = BenchInputs.Batch64();
        _x1 = _x64[..(BenchInputs.Config.Steps * BenchInputs.Config.InputSize)];
        _probabilities = new float[64 * BenchInputs.Config.Classes];
        var model = Int8Weights.Quantize(BenchInputs.Model());
        _predictor = new LstmPredictor(model, Threads);
        _stream = new LstmStream(model, 1, Threads);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _predictor?.Dispose();
        _stream?.Dispose();
    }

    [Benchmark]
    public void Run()
    {
        int classes = BenchInputs.Config.Classes;
        switch (Case)
        {
            case ModelBenchmarks.Work.InferenceBatch64:
                _predictor!.Predict(_x64, 64, _probabilities);
                break;
            case ModelBenchmarks.Work.InferenceBatch1:
                _predictor!.Predict(_x1, 1, _probabilities.AsSpan(0, classes));
                break;
            default:
                _stream!.Step(_x1.AsSpan(0, BenchInputs.Config.InputSize), default, _probabilities.AsSpan(0, classes));
                break;
        }
    }
}
