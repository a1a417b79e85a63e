using EdgeLstm.Model;
using Microsoft.ML.OnnxRuntime;

namespace EdgeLstm.Benchmarks.Onnx;

/// <summary>
/// ONNX Runtime running the sequence model over a fixed batch: inputs and outputs bound once to managed arrays
/// (<see cref="OrtIoBinding"/>), so a call is one <c>RunWithBinding</c> with no copy and no per-call tensor creation,
/// as EdgeLstm's own predictor writes into the caller's buffer.
/// </summary>
internal sealed class OnnxSequenceRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _run = new();
    private readonly OrtValue _x, _probabilities;

    /// <param name="model">The weights (and shapes).</param>
    /// <param name="batch">Sequences per call.</param>
    /// <param name="threads">ONNX Runtime's intra-op threads.</param>
    /// <param name="onnxModel">The ONNX model to run; default <see cref="OnnxModelBuilder.Sequence"/> of <paramref name="model"/>.</param>
    public OnnxSequenceRunner(LstmModel model, int batch, int threads, byte[]? onnxModel = null)
    {
        var config = model.Config;
        Input = new float[batch * config.Steps * config.InputSize];
        Output = new float[batch * config.Classes];
        _session = OnnxSessions.Create(onnxModel ?? OnnxModelBuilder.Sequence(model), threads);
        _x = OrtValue.CreateTensorValueFromMemory(Input, [batch, config.Steps, config.InputSize]);
        _probabilities = OrtValue.CreateTensorValueFromMemory(Output, [batch, config.Classes]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(OnnxModelBuilder.Input, _x);
        _binding.BindOutput(OnnxModelBuilder.Probabilities, _probabilities);
    }

    /// <summary>[batch × steps × inputs], EdgeLstm's layout: write the images here before <see cref="Run"/>.</summary>
    public float[] Input { get; }

    /// <summary>[batch × classes] probabilities after <see cref="Run"/>.</summary>
    public float[] Output { get; }

    public void Run() => _session.RunWithBinding(_run, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        _x.Dispose();
        _probabilities.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}
