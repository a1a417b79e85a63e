using System.Numerics.Tensors;
using EdgeLstm.Kernels;
using EdgeLstm.Simd;
using EdgeLstm.Threading;

namespace EdgeLstm.Engine;

/// <summary>
/// One LSTM layer over a whole time-major sequence, forward and backward (BPTT), on caller-owned buffers. Rows are
/// time-major: row t·B + b is sample b at step t, so each step's rows are contiguous and the products over all steps
/// are single large matrix products.
/// </summary>
internal static unsafe class LayerPass
{
    /// <summary>Buffers and sizes for one layer's forward pass.</summary>
    public struct Forward
    {
        public int Steps, Batch, InputSize, Hidden;

        /// <summary>[T·B×I] layer input.</summary>
        public float* Input;

        /// <summary>[T·B×4H] gate activations (kept for BPTT).</summary>
        public float* Gates;

        /// <summary>Cell states: [T·B×H] when <see cref="KeepAllSteps"/>, else two [B×H] slots used in turn.</summary>
        public float* C;

        /// <summary>tanh(c): [T·B×H] when <see cref="KeepAllSteps"/>, else one [B×H] scratch.</summary>
        public float* TanhC;

        /// <summary>[T·B×H] outputs h_t.</summary>
        public float* H;

        /// <summary>[B×H] initial state, or null for zeros.</summary>
        public float* H0, C0;

        public bool KeepAllSteps;

        /// <summary>The cell state after step <paramref name="t"/>.</summary>
        public readonly float* CellAt(int t) => C + ((long)(KeepAllSteps ? t : t & 1) * Batch * Hidden);
    }

    public static void RunForward(in Forward f, (MatMulForm Form, nint Weights) inputT, (MatMulForm Form, nint Weights) recurrentT, float* bias, WorkerPool? pool, SimdWidth width, StepForwardJob step)
    {
        int h4 = 4 * f.Hidden;
        long bh = (long)f.Batch * f.Hidden;

        // The input projection of every step at once: the one large product of the forward pass.
        MatMul.Run(pool, inputT.Form, f.Input, f.InputSize, (float*)inputT.Weights, h4, f.Gates, h4, f.Steps * f.Batch, h4, f.InputSize, false, width);
        for (int t = 0; t < f.Steps; t++)
        {
            float* hPrev = t == 0 ? f.H0 : f.H + ((t - 1) * bh);
            float* cPrev = t == 0 ? f.C0 : f.CellAt(t - 1);
            float* tanhC = f.TanhC + (f.KeepAllSteps ? t * bh : 0);
            step.Run(pool, width, f.Batch, f.Hidden, f.Gates + (t * f.Batch * (long)h4), bias, hPrev, cPrev, recurrentT.Form, (float*)recurrentT.Weights, f.CellAt(t), tanhC, f.H + (t * bh));
        }
    }

    /// <summary>Gradient outputs of one layer's backward pass.</summary>
    public struct Gradients
    {
        /// <summary>[4H×I], [4H×H], [4H], [4H]: written (not accumulated).</summary>
        public float* WeightIh, WeightHh, BiasIh, BiasHh;

        /// <summary>[T·B×I] gradient w.r.t. the layer input, or null when not wanted.</summary>
        public float* Input;
    }

    /// <summary>
    /// BPTT through one layer whose forward pass kept every step. <paramref name="dH"/> [T·B×H] holds the gradient
    /// reaching each h_t from above (the layer above, or the dense layer) and is used as scratch. <paramref name="dGates"/>
    /// [T·B×4H] receives the gate gradients of every step; <paramref name="dc"/> is [B×H] scratch and
    /// <paramref name="scratch"/> [max(I, H)×4H].
    /// </summary>
    public static void RunBackward(in Forward f, float* weightIh, float* weightHh, float* dH, float* dGates, float* dc, float* scratch, in Gradients g, WorkerPool? pool, SimdWidth width, StepBackwardJob step)
    {
        int h = f.Hidden, h4 = 4 * h, b = f.Batch;
        long bh = (long)b * h, bh4 = (long)b * h4;
        new Span<float>(dc, (int)bh).Clear();
        for (int t = f.Steps - 1; t >= 0; t--)
        {
            float* dGatesNext = t == f.Steps - 1 ? null : dGates + ((t + 1) * bh4);
            float* cPrev = t == 0 ? f.C0 : f.C + ((t - 1) * bh);
            step.Run(pool, width, b, h, dGatesNext, weightHh, dH + (t * bh), f.Gates + (t * bh4), cPrev, f.TanhC + (t * bh), dc, dGates + (t * bh4));
        }

        // The weight gradients: a few large products over all T·B rows, not T small ones. They are computed
        // transposed, dWᵀ = inputᵀ·dG, so the narrow matrix (I or H wide) is the one whose values are broadcast and
        // the 4H-wide gate gradients fill whole vector tiles; the small result is then transposed into place.
        int rows = f.Steps * b;
        MatMul.Run(pool, MatMulForm.AtB, f.Input, f.InputSize, dGates, h4, scratch, h4, f.InputSize, h4, rows, false, width);
        Transpose(scratch, f.InputSize, h4, g.WeightIh);

        // dW_hh = Σ_t dG_tᵀ·h_{t-1}: rows of dG from step 1 on pair with rows of h up to step T-2.
        if (f.Steps > 1)
        {
            MatMul.Run(pool, MatMulForm.AtB, f.H, h, dGates + bh4, h4, scratch, h4, h, h4, rows - b, false, width);
        }
        else
        {
            // One step: no product runs (depth 0), so the gradient starts from zero.
            new Span<float>(scratch, h4 * h).Clear();
        }
        if (f.H0 != null)
        {
            // A given initial state contributes h0ᵀ·dG_0 too.
            MatMul.Run(pool, MatMulForm.AtB, f.H0, h, dGates, h4, scratch, h4, h, h4, b, true, width);
        }

        Transpose(scratch, h, h4, g.WeightHh);

        var biasGrad = new Span<float>(g.BiasIh, h4);
        biasGrad.Clear();
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(biasGrad, new ReadOnlySpan<float>(dGates + ((long)r * h4), h4), biasGrad);
        }

        biasGrad.CopyTo(new Span<float>(g.BiasHh, h4));
        if (g.Input != null)
        {
            MatMul.Run(pool, MatMulForm.AB, dGates, h4, weightIh, f.InputSize, g.Input, f.InputSize, rows, f.InputSize, h4, false, width);
        }
    }

    private static void Transpose(float* source, int rows, int cols, float* destination)
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = source + ((long)r * cols);
            for (int c = 0; c < cols; c++)
            {
                destination[((long)c * rows) + r] = row[c];
            }
        }
    }
}
