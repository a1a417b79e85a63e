using System.Numerics.Tensors;
using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Quantization;

namespace EdgeLstm.Tests.Reference;

/// <summary>
/// An int8 model's forward pass as a plain loop, one sample and one step at a time: every product with a weight
/// matrix is the scalar <see cref="Int8ProductReference"/>, and the element-wise part is the engine's own cell kernels
/// (tested against float64 elsewhere), so the engine's int8 path must give exactly these bits. A sample past its length
/// holds its state, as the engine does.
/// </summary>
internal static unsafe class Int8NetworkReference
{
    /// <summary>The head's outputs before any softmax: [B×K], or [B×T×K] for a per-step head (batch-major).</summary>
    public static float[] Logits(LstmModel model, float[] x, int batch, int[]? lengths = null)
    {
        var config = model.Config;
        var q = model.Int8Weights!;
        int steps = config.Steps, hidden = config.HiddenSize, k = config.Classes;
        var below = new float[batch][][];
        for (int b = 0; b < batch; b++)
        {
            below[b] = [.. Enumerable.Range(0, steps).Select(t => x.AsSpan(((b * steps) + t) * config.InputSize, config.InputSize).ToArray())];
        }

        string module = config.RecurrentModule;
        for (int l = 0; l < config.Layers; l++)
        {
            var wih = q[$"{module}.weight_ih_l{l}"];
            var whh = q[$"{module}.weight_hh_l{l}"];
            var bias = CellBias(model, config.Cell, module, l, hidden);
            for (int b = 0; b < batch; b++)
            {
                int length = lengths?[b] ?? steps;
                var h = new float[hidden];
                var c = new float[hidden];
                var outputs = new float[steps][];
                for (int t = 0; t < steps; t++)
                {
                    if (t < length)
                    {
                        (h, c) = Step(config.Cell, wih, whh, bias, below[b][t], t == 0 ? null : h, t == 0 ? null : c, hidden);
                    }

                    outputs[t] = (float[])h.Clone();
                }

                below[b] = outputs;
            }
        }

        var fc = q["fc.weight"];
        var fcBias = model.TensorData("fc.bias").ToArray();
        var readSteps = config.HeadReadsEveryStep ? Enumerable.Range(0, steps).ToArray() : [steps - 1];
        var logits = new float[batch * readSteps.Length * k];
        for (int b = 0; b < batch; b++)
        {
            for (int r = 0; r < readSteps.Length; r++)
            {
                // A per-step head's rows past a sample's length are zeros, as pad_packed_sequence pads them.
                if (config.HeadReadsEveryStep && readSteps[r] >= (lengths?[b] ?? steps))
                {
                    continue;
                }

                var row = logits.AsSpan(((b * readSteps.Length) + r) * k, k);
                Int8ProductReference.Multiply(fc, below[b][readSteps[r]], row, 1, false);
                TensorPrimitives.Add(row, fcBias, row);
            }
        }

        return logits;
    }

    private static (float[] H, float[] C) Step(CellKind cell, Int8Matrix wih, Int8Matrix whh, float[] bias, float[] x, float[]? hPrev, float[]? cPrev, int hidden)
    {
        var gates = new float[wih.Rows];
        var h = new float[hidden];
        var c = new float[hidden];
        Int8ProductReference.Multiply(wih, x, gates, 1, false);
        fixed (float* g = gates, pb = bias, ph = h, pc = c, hp = hPrev, cp = cPrev)
        {
            if (cell == CellKind.Lstm)
            {
                if (hPrev is not null)
                {
                    Int8ProductReference.Multiply(whh, hPrev, gates, 1, true);
                }

                var tanhC = new float[hidden];
                fixed (float* tc = tanhC)
                {
                    LstmCell.Forward(g, pb, cp, pc, tc, ph, hidden, 0, 1);
                }
            }
            else
            {
                var recurrent = new float[whh.Rows];
                var hn = new float[hidden];
                if (hPrev is not null)
                {
                    Int8ProductReference.Multiply(whh, hPrev, recurrent, 1, false);
                }

                fixed (float* rh = recurrent, phn = hn)
                {
                    GruCell.Forward(g, hPrev is null ? null : rh, pb, hp, phn, ph, hidden, 0, 1);
                }
            }
        }

        return (h, c);
    }

    /// <summary>The bias as the cell adds it: b_ih + b_hh (LSTM), or [b_ir+b_hr | b_iz+b_hz | b_in | b_hn] (GRU).</summary>
    private static float[] CellBias(LstmModel model, CellKind cell, string module, int l, int hidden)
    {
        var bih = model.TensorData($"{module}.bias_ih_l{l}");
        var bhh = model.TensorData($"{module}.bias_hh_l{l}");
        if (cell == CellKind.Lstm)
        {
            var sum = new float[bih.Length];
            TensorPrimitives.Add(bih, bhh, sum);
            return sum;
        }

        var bias = new float[4 * hidden];
        TensorPrimitives.Add(bih[..(2 * hidden)], bhh[..(2 * hidden)], bias.AsSpan(0, 2 * hidden));
        bih.Slice(2 * hidden, hidden).CopyTo(bias.AsSpan(2 * hidden));
        bhh.Slice(2 * hidden, hidden).CopyTo(bias.AsSpan(3 * hidden));
        return bias;
    }
}
