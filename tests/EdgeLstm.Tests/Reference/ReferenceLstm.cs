using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Reference;

/// <summary>
/// The whole classifier in plain double-precision loops, written from the equations and nothing else: the yardstick the
/// engine is measured against. It is itself checked against finite differences. The LSTM layers are here, the GRU
/// layers in ReferenceGru.cs.
/// </summary>
internal sealed partial class ReferenceLstm
{
    private readonly LstmConfig _c;
    private readonly Dictionary<string, double[]> _p;

    public ReferenceLstm(LstmModel model)
    {
        _c = model.Config;
        _p = model.Tensors.ToDictionary(t => t.Name, t => model.TensorData(t).ToArray().Select(v => (double)v).ToArray());
    }

    public Dictionary<string, double[]> Parameters => _p;

    /// <summary>Optional dropout masks per layer [T×B×H] (0 or 1/keep), applied to each layer's output.</summary>
    /// <summary>
    /// Each sample's length (1..T), or null for all full length: a sample's steps past its length are not computed at
    /// all (their h, c stay zero, as pad_packed_sequence returns them) and the head reads step length−1.
    /// </summary>
    public int[]? Lengths { get; set; }

    private int LengthOf(int b, int steps) => Lengths is null ? steps : Lengths[b];

    public double[][]? Masks { get; set; }

    public sealed class Pass
    {
        public required double[][][] H { get; init; }      // [layer][t] → [B×H]
        public required double[][][] C { get; init; }
        public required double[][][] Gates { get; init; }  // activated [B×4H], or [B×3H] r, z, n for a GRU
        public double[][][]? HiddenN { get; init; }        // GRU: h_prev·W_hnᵀ + b_hn [B×H]
        public required double[][][] Y { get; init; }      // layer output after dropout
        public required double[] Logits { get; init; }
        public required double[] Probabilities { get; init; }
        public required double Loss { get; init; }
    }

    /// <summary>
    /// The forward pass and loss of input <c>x</c> [B×T×I]: labels (a classifier's, [B] or [B×T]) or targets (a
    /// regression's, [B(×T)×K]); <c>batch</c> 0 means one sample per label (a last-step classifier).
    /// </summary>
    public Pass Forward(double[] x, int[] labels, LossReduction reduction, int batch = 0, double[]? targets = null)
    {
        batch = batch == 0 ? labels.Length : batch;
        int hd = _c.HiddenSize, layers = _c.Layers;
        int steps = x.Length / (batch * _c.InputSize);
        var h = new double[layers][][];
        var c = new double[layers][][];
        var gates = new double[layers][][];
        var y = new double[layers][][];
        var hn = new double[layers][][];
        for (int l = 0; l < layers; l++)
        {
            if (_c.Cell == CellKind.Gru)
            {
                ForwardGruLayer(l, x, batch, steps, h, gates, hn, y);
                continue;
            }

            int inSize = _c.LayerInputSize(l);
            var wih = _p[$"lstm.weight_ih_l{l}"];
            var whh = _p[$"lstm.weight_hh_l{l}"];
            var bih = _p[$"lstm.bias_ih_l{l}"];
            var bhh = _p[$"lstm.bias_hh_l{l}"];
            h[l] = new double[steps][];
            c[l] = new double[steps][];
            gates[l] = new double[steps][];
            y[l] = new double[steps][];
            for (int t = 0; t < steps; t++)
            {
                h[l][t] = new double[batch * hd];
                c[l][t] = new double[batch * hd];
                gates[l][t] = new double[batch * 4 * hd];
                y[l][t] = new double[batch * hd];
                for (int b = 0; b < batch; b++)
                {
                    if (t >= LengthOf(b, steps))
                    {
                        continue;
                    }

                    for (int r = 0; r < 4 * hd; r++)
                    {
                        double s = bih[r] + bhh[r];
                        for (int i = 0; i < inSize; i++)
                        {
                            double input = l == 0 ? x[(((b * steps) + t) * inSize) + i] : y[l - 1][t][(b * hd) + i];
                            s += wih[(r * inSize) + i] * input;
                        }

                        if (t > 0)
                        {
                            for (int j = 0; j < hd; j++)
                            {
                                s += whh[(r * hd) + j] * h[l][t - 1][(b * hd) + j];
                            }
                        }

                        gates[l][t][(b * 4 * hd) + r] = r / hd == 2 ? Math.Tanh(s) : Sigmoid(s);
                    }

                    for (int j = 0; j < hd; j++)
                    {
                        var g = gates[l][t];
                        int o = b * 4 * hd;
                        double cPrev = t > 0 ? c[l][t - 1][(b * hd) + j] : 0;
                        double cell = (g[o + hd + j] * cPrev) + (g[o + j] * g[o + (2 * hd) + j]);
                        c[l][t][(b * hd) + j] = cell;
                        double hv = g[o + (3 * hd) + j] * Math.Tanh(cell);
                        h[l][t][(b * hd) + j] = hv;
                        y[l][t][(b * hd) + j] = Masks is null ? hv : hv * Masks[l][(((t * batch) + b) * hd) + j];
                    }
                }
            }
        }

        var (logits, probs, loss) = Head(y[layers - 1], batch, steps, labels, targets, reduction);
        return new Pass { H = h, C = c, Gates = gates, HiddenN = hn, Y = y, Logits = logits, Probabilities = probs, Loss = loss };
    }

    /// <summary>Gradients of the loss w.r.t. every parameter (by name) and the input [B×T×I], by hand-written BPTT.</summary>
    public (Dictionary<string, double[]> Grads, double[] DInput) Backward(double[] x, int[] labels, LossReduction reduction, int batch = 0, double[]? targets = null)
    {
        batch = batch == 0 ? labels.Length : batch;
        var f = Forward(x, labels, reduction, batch, targets);
        int hd = _c.HiddenSize, layers = _c.Layers;
        int steps = x.Length / (batch * _c.InputSize);
        var grads = _p.ToDictionary(kv => kv.Key, kv => new double[kv.Value.Length]);
        // dY[l][t]: gradient w.r.t. layer l's (dropped-out) output at step t.
        var dY = new double[layers][][];
        for (int l = 0; l < layers; l++)
        {
            dY[l] = new double[steps][];
            for (int t = 0; t < steps; t++)
            {
                dY[l][t] = new double[batch * hd];
            }
        }

        HeadBackward(f, batch, steps, labels, targets, reduction, grads, dY[layers - 1]);

        var dInput = new double[x.Length];
        for (int l = layers - 1; l >= 0; l--)
        {
            if (_c.Cell == CellKind.Gru)
            {
                BackwardGruLayer(l, x, batch, steps, f, grads, dY, dInput);
                continue;
            }

            var dhNext = new double[batch * hd];
            var dcNext = new double[batch * hd];
            for (int t = steps - 1; t >= 0; t--)
            {
                var dGates = new double[batch * 4 * hd];
                for (int b = 0; b < batch; b++)
                {
                    if (t >= LengthOf(b, steps))
                    {
                        continue;
                    }

                    for (int j = 0; j < hd; j++)
                    {
                        int q = (b * hd) + j, o = b * 4 * hd;
                        double mask = Masks is null ? 1 : Masks[l][(((t * batch) + b) * hd) + j];
                        double dh = (dY[l][t][q] * mask) + dhNext[q];
                        var g = f.Gates[l][t];
                        double ig = g[o + j], fg = g[o + hd + j], gg = g[o + (2 * hd) + j], og = g[o + (3 * hd) + j];
                        double tc = Math.Tanh(f.C[l][t][q]);
                        double dc = (dh * og * (1 - (tc * tc))) + dcNext[q];
                        double cPrev = t > 0 ? f.C[l][t - 1][q] : 0;
                        dGates[o + j] = dc * gg * ig * (1 - ig);
                        dGates[o + hd + j] = dc * cPrev * fg * (1 - fg);
                        dGates[o + (2 * hd) + j] = dc * ig * (1 - (gg * gg));
                        dGates[o + (3 * hd) + j] = dh * tc * og * (1 - og);
                        dcNext[q] = dc * fg;
                    }
                }

                Array.Clear(dhNext);
                BackThroughWeights("lstm", l, t, batch, steps, x, f, dGates, dGates, grads, dY, dInput, dhNext);
            }
        }

        return (grads, dInput);
    }

    /// <summary>
    /// What every cell does after its step's gate gradients, by definition of the products: the gradients of the biases
    /// and weights (summed over the batch) and of the layer's input, and the recurrent part of ∂L/∂h_{t−1} added into
    /// <paramref name="dhPrev"/>. <paramref name="dGatesInput"/> are the gradients of x·W_ihᵀ + b_ih and
    /// <paramref name="dGatesHidden"/> of h·W_hhᵀ + b_hh, [B×G·H]: the same for an LSTM, not for a GRU.
    /// </summary>
    private void BackThroughWeights(string module, int l, int t, int batch, int steps, double[] x, Pass f, double[] dGatesInput, double[] dGatesHidden, Dictionary<string, double[]> grads, double[][][] dY, double[] dInput, double[] dhPrev)
    {
        int hd = _c.HiddenSize, inSize = _c.LayerInputSize(l), gateRows = _c.Gates * hd;
        var wih = _p[$"{module}.weight_ih_l{l}"];
        var whh = _p[$"{module}.weight_hh_l{l}"];
        for (int b = 0; b < batch; b++)
        {
            for (int r = 0; r < gateRows; r++)
            {
                double di = dGatesInput[(b * gateRows) + r], dh = dGatesHidden[(b * gateRows) + r];
                grads[$"{module}.bias_ih_l{l}"][r] += di;
                grads[$"{module}.bias_hh_l{l}"][r] += dh;
                for (int i = 0; i < inSize; i++)
                {
                    double input = l == 0 ? x[(((b * steps) + t) * inSize) + i] : f.Y[l - 1][t][(b * hd) + i];
                    grads[$"{module}.weight_ih_l{l}"][(r * inSize) + i] += di * input;
                    if (l == 0)
                    {
                        dInput[(((b * steps) + t) * inSize) + i] += di * wih[(r * inSize) + i];
                    }
                    else
                    {
                        dY[l - 1][t][(b * hd) + i] += di * wih[(r * inSize) + i];
                    }
                }

                for (int j = 0; j < hd; j++)
                {
                    if (t > 0)
                    {
                        grads[$"{module}.weight_hh_l{l}"][(r * hd) + j] += dh * f.H[l][t - 1][(b * hd) + j];
                    }

                    dhPrev[(b * hd) + j] += dh * whh[(r * hd) + j];
                }
            }
        }
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
