using System.Runtime.InteropServices;

namespace EdgeLstm.Native;

internal static unsafe partial class Exports
{
    private const string InputShape = "batch {0} × steps {1} × input_size {2}";

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_predict")]
    internal static Status Predict(ulong model, float* x, nuint xLength, int batch, int steps, int kind, float* output, nuint outputLength)
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
            var result = Args.Exact(output, outputLength, Args.Count(batch, config.Classes), "out", "batch {0} × classes {1}", batch, config.Classes);
            entry.Predict(inputs, batch, result, logits: kind == 1);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_predict", e);
        }
    }

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
            var perStep = Args.Optional(outputs, outputsLength, Args.Count(steps, batch, hidden), "outputs", "steps {0} × batch {1} × hidden_size {2}", steps, batch, hidden);
            var c = Args.Optional(finalC, finalCLength, Args.Count(layers, batch, hidden), "final_c", "layers {0} × batch {1} × hidden_size {2}", layers, batch, hidden);
            var h = Args.Optional(finalH, finalHLength, Args.Count(layers, batch, hidden), "final_h", "layers {0} × batch {1} × hidden_size {2}", layers, batch, hidden);
            var p = Args.Optional(probabilities, probabilitiesLength, Args.Count(batch, config.Classes), "probabilities", "batch {0} × classes {1}", batch, config.Classes);
            entry.Run(inputs, batch, perStep, c, h, p);
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_run", e);
        }
    }
}
