using BenchmarkDotNet.Attributes;
using EdgeLstm.Benchmarks.Onnx;

namespace EdgeLstm.Benchmarks;

/// <summary>
/// ONNX Runtime on the same weights, inputs and work as the inference rows of <see cref="ModelBenchmarks"/> (same
/// <c>Case</c> and <c>Threads</c>), so each of those rows gets its EdgeLstm / ONNX Runtime ratio from the same run.
/// Agreement of the probabilities is checked before the suite runs (<see cref="OnnxAgreement"/>).
/// </summary>
public class OnnxBenchmarks : IFlopCounted
{
    private OnnxSequenceRunner? _sequence;
    private OnnxStreamRunner? _stream;

    public static IEnumerable<ModelBenchmarks.Work> InferenceWork() =>
        [ModelBenchmarks.Work.InferenceBatch64, ModelBenchmarks.Work.InferenceBatch1, ModelBenchmarks.Work.StreamingStepBatch1];

    [ParamsSource(nameof(InferenceWork))]
    public ModelBenchmarks.Work Case { get; set; } = ModelBenchmarks.Work.InferenceBatch64;

    [Params(1, 2)]
    public int Threads { get; set; }

    public double FlopsPerOperation => BenchInputs.Flops(Case);

    [GlobalSetup]
    public void Setup()
    {
        var model = BenchInputs.Model();
        var (x64, _) = BenchInputs.Batch64();
        switch (Case)
        {
            case ModelBenchmarks.Work.InferenceBatch64:
                _sequence = new OnnxSequenceRunner(model, 64, Threads);
                x64.CopyTo(_sequence.Input, 0);
                break;
            case ModelBenchmarks.Work.InferenceBatch1:
                _sequence = new OnnxSequenceRunner(model, 1, Threads);
                x64.AsSpan(0, _sequence.Input.Length).CopyTo(_sequence.Input);
                break;
            default:
                _stream = new OnnxStreamRunner(model, Threads);
                x64.AsSpan(0, _stream.Input.Length).CopyTo(_stream.Input);
                break;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sequence?.Dispose();
        _stream?.Dispose();
    }

    [Benchmark]
    public void Run()
    {
        if (_stream is not null)
        {
            _stream.Step();
        }
        else
        {
            _sequence!.Run();
        }
    }
}
