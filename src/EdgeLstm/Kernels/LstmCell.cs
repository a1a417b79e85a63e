using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeLstm.Kernels;

/// <summary>
/// The element-wise part of one LSTM time step over a range of batch rows, forward and backward. A row of gates is
/// [i | f | g | o], H each (PyTorch's order). Knows nothing of layers or models: it sees pointers and sizes.
/// </summary>
internal static unsafe class LstmCell
{
    /// <summary>
    /// Turns pre-activations into gates in place (σ for i, f, o; tanh for g) and computes
    /// c = f·c_prev + i·g, tanh(c) and h = o·tanh(c). The bias (b_ih + b_hh) is added here, on rows already in L1,
    /// rather than as a separate pass over the whole sequence. <paramref name="cPrev"/> null means a zero state.
    /// </summary>
    public static void Forward(float* gates, float* bias, float* cPrev, float* c, float* tanhC, float* h, int hidden, int rowStart, int rowEnd)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            Forward(gates, bias, cPrev, c, tanhC, h, hidden, r, 0, hidden);
        }
    }

    /// <summary>
    /// <see cref="Forward(float*, float*, float*, float*, float*, float*, int, int, int)"/> on units
    /// [<paramref name="unitStart"/>, <paramref name="unitEnd"/>) of row <paramref name="row"/> only: every operation is
    /// element-wise, so threads that own different units compute the same values a whole row would.
    /// </summary>
    public static void Forward(float* gates, float* bias, float* cPrev, float* c, float* tanhC, float* h, int hidden, int row, int unitStart, int unitEnd)
    {
        int n = unitEnd - unitStart;
        float* g = gates + ((long)row * 4 * hidden) + unitStart;
        var input = new Span<float>(g, n);
        var forget = new Span<float>(g + hidden, n);
        var cell = new Span<float>(g + (2 * hidden), n);
        var output = new Span<float>(g + (3 * hidden), n);
        long at = ((long)row * hidden) + unitStart;
        var cRow = new Span<float>(c + at, n);
        var tanhRow = new Span<float>(tanhC + at, n);
        var hRow = new Span<float>(h + at, n);

        TensorPrimitives.Add(input, new ReadOnlySpan<float>(bias + unitStart, n), input);
        TensorPrimitives.Add(forget, new ReadOnlySpan<float>(bias + hidden + unitStart, n), forget);
        TensorPrimitives.Add(cell, new ReadOnlySpan<float>(bias + (2 * hidden) + unitStart, n), cell);
        TensorPrimitives.Add(output, new ReadOnlySpan<float>(bias + (3 * hidden) + unitStart, n), output);
        TensorPrimitives.Sigmoid(input, input);
        TensorPrimitives.Sigmoid(forget, forget);
        TensorPrimitives.Tanh(cell, cell);
        TensorPrimitives.Sigmoid(output, output);
        TensorPrimitives.Multiply(input, cell, cRow);
        if (cPrev != null)
        {
            TensorPrimitives.FusedMultiplyAdd(forget, new ReadOnlySpan<float>(cPrev + at, n), cRow, cRow);
        }

        TensorPrimitives.Tanh(cRow, tanhRow);
        TensorPrimitives.Multiply(output, tanhRow, hRow);
    }

    /// <summary>
    /// Back-propagates one step through the cell. <paramref name="dh"/> is ∂L/∂h_t (from above and from step t+1);
    /// <paramref name="dc"/> holds ∂L/∂c_t arriving from step t+1 and is overwritten with the part that flows on to
    /// c_{t-1}. Writes ∂L/∂(pre-activation gates) into <paramref name="dGates"/>.
    /// </summary>
    public static void Backward(float* gates, float* cPrev, float* tanhC, float* dh, float* dc, float* dGates, int hidden, int rowStart, int rowEnd)
    {
        int h4 = 4 * hidden;
        for (int r = rowStart; r < rowEnd; r++)
        {
            float* g = gates + ((long)r * h4);
            float* dg = dGates + ((long)r * h4);
            float* tc = tanhC + ((long)r * hidden);
            float* dhr = dh + ((long)r * hidden);
            float* dcr = dc + ((long)r * hidden);
            float* cp = cPrev == null ? null : cPrev + ((long)r * hidden);
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                // The scalar loop's operations in the scalar loop's order, a vector at a time: the same bits.
                var one = Vector<float>.One;
                for (; j + Vector<float>.Count <= hidden; j += Vector<float>.Count)
                {
                    var i = Vector.Load(g + j);
                    var f = Vector.Load(g + hidden + j);
                    var gg = Vector.Load(g + (2 * hidden) + j);
                    var o = Vector.Load(g + (3 * hidden) + j);
                    var t = Vector.Load(tc + j);
                    var dhj = Vector.Load(dhr + j);
                    var dcj = (dhj * o * (one - (t * t))) + Vector.Load(dcr + j);
                    var cPrevJ = cp == null ? Vector<float>.Zero : Vector.Load(cp + j);
                    Vector.Store(dcj * gg * i * (one - i), dg + j);
                    Vector.Store(dcj * cPrevJ * f * (one - f), dg + hidden + j);
                    Vector.Store(dcj * i * (one - (gg * gg)), dg + (2 * hidden) + j);
                    Vector.Store(dhj * t * o * (one - o), dg + (3 * hidden) + j);
                    Vector.Store(dcj * f, dcr + j);
                }
            }

            for (; j < hidden; j++)
            {
                float i = g[j], f = g[hidden + j], gg = g[(2 * hidden) + j], o = g[(3 * hidden) + j];
                float t = tc[j];
                float dhj = dhr[j];
                float dcj = (dhj * o * (1f - (t * t))) + dcr[j];
                float cPrevJ = cp == null ? 0f : cp[j];
                dg[j] = dcj * gg * i * (1f - i);
                dg[hidden + j] = dcj * cPrevJ * f * (1f - f);
                dg[(2 * hidden) + j] = dcj * i * (1f - (gg * gg));
                dg[(3 * hidden) + j] = dhj * t * o * (1f - o);
                dcr[j] = dcj * f;
            }
        }
    }
}
