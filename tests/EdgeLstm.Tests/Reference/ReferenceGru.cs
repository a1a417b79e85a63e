namespace EdgeLstm.Tests.Reference;

/// <summary>
/// The GRU layers of the reference, from PyTorch's <c>nn.GRU</c> equations: r = σ(W_ir·x + b_ir + W_hr·h + b_hr),
/// z = σ(W_iz·x + b_iz + W_hz·h + b_hz), n = tanh(W_in·x + b_in + r∘(W_hn·h + b_hn)), h' = (1−z)∘n + z∘h.
/// </summary>
internal sealed partial class ReferenceLstm
{
    private void ForwardGruLayer(int l, double[] x, int batch, int steps, double[][][] h, double[][][] gates, double[][][] hn, double[][][] y)
    {
        int hd = _c.HiddenSize, inSize = _c.LayerInputSize(l);
        var wih = _p[$"gru.weight_ih_l{l}"];
        var whh = _p[$"gru.weight_hh_l{l}"];
        var bih = _p[$"gru.bias_ih_l{l}"];
        var bhh = _p[$"gru.bias_hh_l{l}"];
        h[l] = new double[steps][];
        gates[l] = new double[steps][];
        hn[l] = new double[steps][];
        y[l] = new double[steps][];
        for (int t = 0; t < steps; t++)
        {
            h[l][t] = new double[batch * hd];
            gates[l][t] = new double[batch * 3 * hd];
            hn[l][t] = new double[batch * hd];
            y[l][t] = new double[batch * hd];
            for (int b = 0; b < batch; b++)
            {
                if (t >= LengthOf(b, steps))
                {
                    continue;
                }

                var gi = new double[3 * hd];
                var gh = new double[3 * hd];
                for (int r = 0; r < 3 * hd; r++)
                {
                    gi[r] = bih[r];
                    for (int i = 0; i < inSize; i++)
                    {
                        double input = l == 0 ? x[(((b * steps) + t) * inSize) + i] : y[l - 1][t][(b * hd) + i];
                        gi[r] += wih[(r * inSize) + i] * input;
                    }

                    gh[r] = bhh[r];
                    for (int j = 0; j < hd && t > 0; j++)
                    {
                        gh[r] += whh[(r * hd) + j] * h[l][t - 1][(b * hd) + j];
                    }
                }

                for (int j = 0; j < hd; j++)
                {
                    int o = b * 3 * hd, q = (b * hd) + j;
                    double reset = Sigmoid(gi[j] + gh[j]);
                    double update = Sigmoid(gi[hd + j] + gh[hd + j]);
                    double n = Math.Tanh(gi[(2 * hd) + j] + (reset * gh[(2 * hd) + j]));
                    double hPrev = t > 0 ? h[l][t - 1][q] : 0;
                    double hv = ((1 - update) * n) + (update * hPrev);
                    gates[l][t][o + j] = reset;
                    gates[l][t][o + hd + j] = update;
                    gates[l][t][o + (2 * hd) + j] = n;
                    hn[l][t][q] = gh[(2 * hd) + j];
                    h[l][t][q] = hv;
                    y[l][t][q] = Masks is null ? hv : hv * Masks[l][(((t * batch) + b) * hd) + j];
                }
            }
        }
    }

    private void BackwardGruLayer(int l, double[] x, int batch, int steps, Pass f, Dictionary<string, double[]> grads, double[][][] dY, double[] dInput)
    {
        int hd = _c.HiddenSize;
        var dhNext = new double[batch * hd];
        for (int t = steps - 1; t >= 0; t--)
        {
            var dgi = new double[batch * 3 * hd];
            var dgh = new double[batch * 3 * hd];
            var dhPrev = new double[batch * hd];
            for (int b = 0; b < batch; b++)
            {
                if (t >= LengthOf(b, steps))
                {
                    continue;
                }

                for (int j = 0; j < hd; j++)
                {
                    int q = (b * hd) + j, o = b * 3 * hd;
                    double mask = Masks is null ? 1 : Masks[l][(((t * batch) + b) * hd) + j];
                    double dh = (dY[l][t][q] * mask) + dhNext[q];
                    var g = f.Gates[l][t];
                    double reset = g[o + j], update = g[o + hd + j], n = g[o + (2 * hd) + j];
                    double hPrev = t > 0 ? f.H[l][t - 1][q] : 0;
                    double dnPre = dh * (1 - update) * (1 - (n * n));
                    double dzPre = dh * (hPrev - n) * update * (1 - update);
                    double drPre = dnPre * f.HiddenN![l][t][q] * reset * (1 - reset);
                    dgi[o + j] = drPre;
                    dgi[o + hd + j] = dzPre;
                    dgi[o + (2 * hd) + j] = dnPre;
                    dgh[o + j] = drPre;
                    dgh[o + hd + j] = dzPre;
                    dgh[o + (2 * hd) + j] = dnPre * reset;
                    dhPrev[q] = dh * update;
                }
            }

            BackThroughWeights("gru", l, t, batch, steps, x, f, dgi, dgh, grads, dY, dInput, dhPrev);
            dhNext = dhPrev;
        }
    }
}
