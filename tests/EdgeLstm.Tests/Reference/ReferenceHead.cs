using EdgeLstm.Training;

namespace EdgeLstm.Tests.Reference;

/// <summary>
/// The dense head of the reference, from its definition: logits = fc.weight·h + fc.bias on the last step of each
/// sample, or on every step; softmax cross-entropy against labels, or squared error against targets (mean over every
/// output, as PyTorch's MSELoss). Rows are batch-major: sample b, then step t.
/// </summary>
internal sealed partial class ReferenceLstm
{
    /// <summary>
    /// The (sample, step) of every real head row, batch-major, and where its label or target sits ([B] or [B×T]): a
    /// sample's last step is step length−1, and a per-step head has no rows past a sample's length.
    /// </summary>
    private IEnumerable<(int Row, int B, int T)> HeadRows(int batch, int steps)
    {
        bool every = _c.HeadReadsEveryStep;
        for (int b = 0; b < batch; b++)
        {
            int length = LengthOf(b, steps);
            for (int t = every ? 0 : length - 1; t < length; t++)
            {
                yield return (every ? (b * steps) + t : b, b, t);
            }
        }
    }

    private double Divisor(int rows, LossReduction reduction)
        => _c.HeadRegresses || reduction == LossReduction.MeanOverBatchAndClasses ? rows * _c.Classes : rows;

    private (double[] Logits, double[] Probabilities, double Loss) Head(double[][] top, int batch, int steps, int[] labels, double[]? targets, LossReduction reduction)
    {
        int hd = _c.HiddenSize, classes = _c.Classes;
        var fcw = _p["fc.weight"];
        var fcb = _p["fc.bias"];
        var rows = HeadRows(batch, steps).ToArray();
        int slots = _c.HeadReadsEveryStep ? batch * steps : batch;
        var logits = new double[slots * classes];
        var probs = new double[slots * classes];
        double loss = 0;
        foreach (var (row, b, t) in rows)
        {
            for (int k = 0; k < classes; k++)
            {
                double s = fcb[k];
                for (int j = 0; j < hd; j++)
                {
                    s += fcw[(k * hd) + j] * top[t][(b * hd) + j];
                }

                logits[(row * classes) + k] = s;
            }

            if (_c.HeadRegresses)
            {
                for (int k = 0; k < classes; k++)
                {
                    double d = logits[(row * classes) + k] - targets![(row * classes) + k];
                    probs[(row * classes) + k] = logits[(row * classes) + k];
                    loss += d * d;
                }

                continue;
            }

            double max = logits.Skip(row * classes).Take(classes).Max();
            double z = 0;
            for (int k = 0; k < classes; k++)
            {
                z += Math.Exp(logits[(row * classes) + k] - max);
            }

            for (int k = 0; k < classes; k++)
            {
                probs[(row * classes) + k] = Math.Exp(logits[(row * classes) + k] - max) / z;
            }

            loss -= Math.Log(probs[(row * classes) + labels[row]]);
        }

        return (logits, probs, loss / Divisor(rows.Length, reduction));
    }

    /// <summary>The head's gradients into <paramref name="grads"/>, and ∂loss/∂(top layer output) into <paramref name="dTop"/>[t].</summary>
    private void HeadBackward(Pass f, int batch, int steps, int[] labels, double[]? targets, LossReduction reduction, Dictionary<string, double[]> grads, double[][] dTop)
    {
        int hd = _c.HiddenSize, classes = _c.Classes, layers = _c.Layers;
        var rows = HeadRows(batch, steps).ToArray();
        double scale = 1.0 / Divisor(rows.Length, reduction);
        foreach (var (row, b, t) in rows)
        {
            for (int k = 0; k < classes; k++)
            {
                int q = (row * classes) + k;
                double d = _c.HeadRegresses
                    ? 2 * (f.Logits[q] - targets![q]) * scale
                    : (f.Probabilities[q] - (labels[row] == k ? 1 : 0)) * scale;
                grads["fc.bias"][k] += d;
                for (int j = 0; j < hd; j++)
                {
                    grads["fc.weight"][(k * hd) + j] += d * f.Y[layers - 1][t][(b * hd) + j];
                    dTop[t][(b * hd) + j] += d * _p["fc.weight"][(k * hd) + j];
                }
            }
        }
    }
}
