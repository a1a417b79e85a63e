using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeLstm.Kernels;

/// <summary>
/// The element-wise part of one GRU time step over a range of batch rows, forward and backward, as PyTorch's
/// <c>nn.GRU</c> computes it: r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr), z likewise, n = tanh(x·W_inᵀ + b_in +
/// r∘(h·W_hnᵀ + b_hn)), h' = (1−z)∘n + z∘h. A row of gates is [r | z | n], H each. Knows nothing of layers or models.
/// </summary>
internal static unsafe class GruCell
{
    /// <summary>
    /// Turns the input projection <paramref name="gates"/> [rows×3H] into the activations r, z, n in place.
    /// <paramref name="hidden3"/> [rows×3H] is h_prev·W_hhᵀ, or null with a zero state. <paramref name="bias"/> is
    /// [b_ir+b_hr | b_iz+b_hz | b_in | b_hn] (4H). Writes hn = h_prev·W_hnᵀ + b_hn [rows×H] (the backward pass needs
    /// it) and h [rows×H].
    /// </summary>
    public static void Forward(float* gates, float* hidden3, float* bias, float* hPrev, float* hn, float* h, int hidden, int rowStart, int rowEnd)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            Forward(gates, hidden3, bias, hPrev, hn, h, hidden, r, 0, hidden);
        }
    }

    /// <summary>
    /// <see cref="Forward(float*, float*, float*, float*, float*, float*, int, int, int)"/> on units
    /// [<paramref name="unitStart"/>, <paramref name="unitEnd"/>) of row <paramref name="row"/> only: every operation is
    /// element-wise, so threads that own different units compute the same values a whole row would.
    /// </summary>
    public static void Forward(float* gates, float* hidden3, float* bias, float* hPrev, float* hn, float* h, int hidden, int row, int unitStart, int unitEnd)
    {
        int n = unitEnd - unitStart;
        float* g = gates + ((long)row * 3 * hidden) + unitStart;
        var reset = new Span<float>(g, n);
        var update = new Span<float>(g + hidden, n);
        var candidate = new Span<float>(g + (2 * hidden), n);
        long at = ((long)row * hidden) + unitStart;
        var hnRow = new Span<float>(hn + at, n);
        var hRow = new Span<float>(h + at, n);
        var hnBias = new ReadOnlySpan<float>(bias + (3 * hidden) + unitStart, n);

        TensorPrimitives.Add(reset, new ReadOnlySpan<float>(bias + unitStart, n), reset);
        TensorPrimitives.Add(update, new ReadOnlySpan<float>(bias + hidden + unitStart, n), update);
        TensorPrimitives.Add(candidate, new ReadOnlySpan<float>(bias + (2 * hidden) + unitStart, n), candidate);
        if (hidden3 != null)
        {
            float* hh = hidden3 + ((long)row * 3 * hidden) + unitStart;
            TensorPrimitives.Add(reset, new ReadOnlySpan<float>(hh, n), reset);
            TensorPrimitives.Add(update, new ReadOnlySpan<float>(hh + hidden, n), update);
            TensorPrimitives.Add(new ReadOnlySpan<float>(hh + (2 * hidden), n), hnBias, hnRow);
        }
        else
        {
            hnBias.CopyTo(hnRow);
        }

        TensorPrimitives.Sigmoid(reset, reset);
        TensorPrimitives.Sigmoid(update, update);
        TensorPrimitives.FusedMultiplyAdd(reset, hnRow, candidate, candidate);
        TensorPrimitives.Tanh(candidate, candidate);

        // h' = (1−z)∘n + z∘h = n + z∘(h − n).
        if (hPrev != null)
        {
            TensorPrimitives.Subtract(new ReadOnlySpan<float>(hPrev + at, n), candidate, hRow);
            TensorPrimitives.FusedMultiplyAdd(update, hRow, candidate, hRow);
        }
        else
        {
            TensorPrimitives.Multiply(update, candidate, hRow);
            TensorPrimitives.Subtract(candidate, hRow, hRow);
        }
    }

    /// <summary>
    /// Back-propagates one step. <paramref name="dh"/> is the whole ∂L/∂h_t. Writes ∂L/∂(input projection + its bias)
    /// into <paramref name="dInputGates"/> [rows×3H] and ∂L/∂(h_prev·W_hhᵀ + b_hh) into <paramref name="dHiddenGates"/>
    /// [rows×3H]; they differ only in the n block, where the hidden part passed through the reset gate. Adds the direct
    /// path z∘dh to <paramref name="dhPrev"/> (the gradient of h_{t−1}) unless it is null.
    /// </summary>
    public static void Backward(float* gates, float* hn, float* hPrev, float* dh, float* dhPrev, float* dInputGates, float* dHiddenGates, int hidden, int rowStart, int rowEnd)
    {
        int h3 = 3 * hidden;
        for (int r = rowStart; r < rowEnd; r++)
        {
            float* g = gates + ((long)r * h3);
            float* dgi = dInputGates + ((long)r * h3);
            float* dgh = dHiddenGates + ((long)r * h3);
            float* hnr = hn + ((long)r * hidden);
            float* dhr = dh + ((long)r * hidden);
            float* hp = hPrev == null ? null : hPrev + ((long)r * hidden);
            float* dhp = dhPrev == null ? null : dhPrev + ((long)r * hidden);
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                // The scalar loop's operations in the scalar loop's order, a vector at a time: the same bits.
                var one = Vector<float>.One;
                for (; j + Vector<float>.Count <= hidden; j += Vector<float>.Count)
                {
                    var reset = Vector.Load(g + j);
                    var update = Vector.Load(g + hidden + j);
                    var n = Vector.Load(g + (2 * hidden) + j);
                    var dhj = Vector.Load(dhr + j);
                    var hPrevJ = hp == null ? Vector<float>.Zero : Vector.Load(hp + j);
                    var dn = dhj * (one - update) * (one - (n * n));
                    var dz = dhj * (hPrevJ - n) * update * (one - update);
                    var dr = dn * Vector.Load(hnr + j) * reset * (one - reset);
                    Vector.Store(dr, dgi + j);
                    Vector.Store(dz, dgi + hidden + j);
                    Vector.Store(dn, dgi + (2 * hidden) + j);
                    Vector.Store(dr, dgh + j);
                    Vector.Store(dz, dgh + hidden + j);
                    Vector.Store(dn * reset, dgh + (2 * hidden) + j);
                    if (dhp != null)
                    {
                        Vector.Store(Vector.Load(dhp + j) + (dhj * update), dhp + j);
                    }
                }
            }

            for (; j < hidden; j++)
            {
                float reset = g[j], update = g[hidden + j], n = g[(2 * hidden) + j];
                float dhj = dhr[j];
                float hPrevJ = hp == null ? 0f : hp[j];
                float dn = dhj * (1f - update) * (1f - (n * n));
                float dz = dhj * (hPrevJ - n) * update * (1f - update);
                float dr = dn * hnr[j] * reset * (1f - reset);
                dgi[j] = dr;
                dgi[hidden + j] = dz;
                dgi[(2 * hidden) + j] = dn;
                dgh[j] = dr;
                dgh[hidden + j] = dz;
                dgh[(2 * hidden) + j] = dn * reset;
                if (dhp != null)
                {
                    dhp[j] += dhj * update;
                }
            }
        }
    }
}
