using EdgeLstm.Model;
using Microsoft.ML.OnnxRuntime;

namespace EdgeLstm.Benchmarks.Onnx;

/// <summary>
/// ONNX Runtime stepping the one-step model, the state carried from one call to the next: two bindings over two sets
/// of state buffers, the first reading set A and writing set B, the second the reverse, used in turn, so the state is
/// never copied (each <c>LSTM</c> node gets <c>initial_h</c>/<c>initial_c</c> from the previous step's Y_h/Y_c).
/// </summary>
internal sealed class OnnxStreamRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly OrtIoBinding[] _bindings;
    private readonly float[][] _states;
    private readonly List<OrtValue> _values = [];
    private int _next;

    public OnnxStreamRunner(LstmModel model, int threads)
    {
        var config = model.Config;
        int layers = config.Layers, h = config.HiddenSize;
        Input = new float[config.InputSize];
        Output = new float[config.Classes];
        _session = OnnxSessions.Create(OnnxModelBuilder.StreamingStep(model), threads);

        // _states[set][2·layer] is h, [2·layer + 1] is c.
        _states = new float[2 * 2 * layers][];
        for (int i = 0; i < _states.Length; i++)
        {
            _states[i] = new float[h];
        }

        var x = Value(Input, [1, config.InputSize]);
        var probabilities = Value(Output, [1, config.Classes]);
        _bindings = new OrtIoBinding[2];
        for (int set = 0; set < 2; set++)
        {
            var binding = _session.CreateIoBinding();
            binding.BindInput(OnnxModelBuilder.Input, x);
            binding.BindOutput(OnnxModelBuilder.Probabilities, probabilities);
            for (int l = 0; l < layers; l++)
            {
                binding.BindInput(OnnxModelBuilder.HiddenIn(l), Value(State(set, l, 0), [1, 1, h]));
                binding.BindInput(OnnxModelBuilder.CellIn(l), Value(State(set, l, 1), [1, 1, h]));
                binding.BindOutput(OnnxModelBuilder.HiddenOut(l), Value(State(1 - set, l, 0), [1, 1, h]));
                binding.BindOutput(OnnxModelBuilder.CellOut(l), Value(State(1 - set, l, 1), [1, 1, h]));
            }

            _bindings[set] = binding;
        }
    }

    /// <summary>One step's input [inputs]: write it here before <see cref="Step"/>.</summary>
    public float[] Input { get; }

    /// <summary>The class probabilities after the latest <see cref="Step"/>.</summary>
    public float[] Output { get; }

    public void Step()
    {
        _session.RunWithBinding(_run, _bindings[_next]);
        _next = 1 - _next;
    }

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        foreach (var s in _states)
        {
            Array.Clear(s);
        }

        _next = 0;
    }

    public void Dispose()
    {
        foreach (var b in _bindings)
        {
            b.Dispose();
        }

        foreach (var v in _values)
        {
            v.Dispose();
        }

        _run.Dispose();
        _session.Dispose();
    }

    private float[] State(int set, int layer, int which) => _states[(set * _states.Length / 2) + (2 * layer) + which];

    private OrtValue Value(float[] data, long[] shape)
    {
        var v = OrtValue.CreateTensorValueFromMemory(data, shape);
        _values.Add(v);
        return v;
    }
}
