using System.Runtime.InteropServices;
using EdgeLstm.Model;

namespace EdgeLstm.Native;

internal static unsafe partial class Exports
{
    private const string InputShape = "batch {0} × steps {1} × input_size {2}";

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_predict")]
    internal static Status Predict(ulong model, float* x, nuint xLength, int batch, int steps, int kind, float* output, nuint outputLength)
        => Predict("edgelstm_predict", model, x, xLength, batch, steps, null, 0, kind, output, outputLength);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_predict_lengths")]
    internal static Status PredictLengths(ulong model, float* x, nuint xLength, int batch, int steps, int* lengths, nuint lengthsLength, int kind, float* output, nuint outputLength)
        => Predict("edgelstm_predict_lengths", model, x, xLength, batch, steps, lengths, lengthsLength, kind, output, outputLength);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_run")]
    internal static Status Run(
        ulong model,
        float* x,
        nuint xLength,
        int batch,
        int steps,
        float* outputs,
        nuint outputsLength,
        float* finalC,
        nuint finalCLength,
        float* finalH,
        nuint finalHLength,
        float* probabilities,
        nuint probabilitiesLength)
        => Run("edgelstm_run", model, x, xLength, batch, steps, null, 0, outputs, outputsLength, finalC, finalCLength, finalH, finalHLength, probabilities, probabilitiesLength);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_run_lengths")]
    internal static Status RunLengths(ulong model, float* x, nuint xLength, int batch, int steps, int* lengths, nuint lengthsLength, float* outputs, nuint outputsLength, float* finalC, nuint finalCLength, float* finalH, nuint finalHLength, float* probabilities, nuint probabilitiesLength)
        => Run("edgelstm_run_lengths", model, x, xLength, batch, steps, lengths, lengthsLength, outputs, outputsLength, finalC, finalCLength, finalH, finalHLength, probabilities, probabilitiesLength);

    private static Status Predict(string function, ulong model, float* x, nuint xLength, int batch, int steps, int* lengths, nuint lengthsLength, int kind, float* output, nuint outputLength)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            var config = entry.Model.Config;
            Args.Positive(batch, "batch");
            Args.Positive(steps, "steps");
            if (kind is not (0 or 1))
            {
                throw new NativeException(Status.InvalidArgument, $"kind must be EDGELSTM_PROBABILITIES (0) or EDGELSTM_LOGITS (1); it is {kind}");
            }

            var inputs = Args.Exact(x, xLength, Args.Count(batch, steps, config.InputSize), "x", InputShape, batch, steps, config.InputSize);
            var sequenceLengths = Args.Lengths(lengths, lengthsLength, batch, steps);
            var result = HeadResults(config, output, outputLength, "out", batch, steps, optional: false);
            entry.Predict(inputs, batch, sequenceLengths, result, logits: kind == 1);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail(function, e);
        }
    }

    private static Status Run(string function, ulong model, float* x, nuint xLength, int batch, int steps, int* lengths, nuint lengthsLength, float* outputs, nuint outputsLength, float* finalC, nuint finalCLength, float* finalH, nuint finalHLength, float* probabilities, nuint probabilitiesLength)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            var config = entry.Model.Config;
            Args.Positive(batch, "batch");
            Args.Positive(steps, "steps");
            int hidden = config.HiddenSize, layers = config.Layers;
            var inputs = Args.Exact(x, xLength, Args.Count(batch, steps, config.InputSize), "x", InputShape, batch, steps, config.InputSize);
            var sequenceLengths = Args.Lengths(lengths, lengthsLength, batch, steps);
            var perStep = Args.Optional(outputs, outputsLength, Args.Count(steps, batch, hidden), "outputs", "steps {0} × batch {1} × hidden_size {2}", steps, batch, hidden);
            var c = Args.CellState(config.Cell, finalC, finalCLength, Args.Count(layers, batch, hidden), optional: true, "final_c", "layers {0} × batch {1} × hidden_size {2}", layers, batch, hidden);
            var h = Args.Optional(finalH, finalHLength, Args.Count(layers, batch, hidden), "final_h", "layers {0} × batch {1} × hidden_size {2}", layers, batch, hidden);
            var p = HeadResults(config, probabilities, probabilitiesLength, "probabilities", batch, steps, optional: true);
            entry.Run(inputs, batch, sequenceLengths, perStep, c, h, p);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail(function, e);
        }
    }

    /// <summary>Where the head's results go: [batch × K], or [batch × steps × K] for a per-step head.</summary>
    private static Span<float> HeadResults(LstmConfig config, float* pointer, nuint length, string name, int batch, int steps, bool optional)
    {
        int k = config.Classes;
        return config.HeadReadsEveryStep
            ? Output(pointer, length, Args.Count(batch, steps, k), name, "batch {0} × steps {1} × outputs {2} (a per-step head)", batch, steps, k, optional)
            : Output(pointer, length, Args.Count(batch, k), name, "batch {0} × outputs {1}", batch, k, 0, optional);
    }

    private static Span<float> Output(float* pointer, nuint length, int expected, string name, string shape, int a, int b, int c, bool optional)
        => optional ? Args.Optional(pointer, length, expected, name, shape, a, b, c) : Args.Exact(pointer, length, expected, name, shape, a, b, c);
}
