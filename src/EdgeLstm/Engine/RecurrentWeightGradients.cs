using EdgeLstm.Kernels;

namespace EdgeLstm.Engine;

/// <summary>
/// The weight gradients of a recurrent layer from its pre-activation gate gradients, the same for every cell kind:
/// dW_ih = Σ dGᵀ·x and dW_hh = Σ dG_tᵀ·h_{t-1}, as a few large products over all T·B rows, not T small ones.
/// </summary>
internal static unsafe class RecurrentWeightGradients
{
    /// <summary>
    /// Writes dW_ih from <paramref name="dGatesInput"/> [T·B×G·H] and dW_hh from <paramref name="dGatesRecurrent"/> into
    /// <paramref name="g"/>. For an LSTM both are the same gate gradients, and the two products then read them in one
    /// pass (<see cref="MatMulJob.A2"/>); a GRU's differ in the n block.
    /// </summary>
    /// <param name="scratch">
    /// [(I + H)×G·H] when the two gate gradients are the same, else [max(I, H)×G·H]: the transposed gradients before
    /// they are put in place.
    /// </param>
    /// <param name="gateSums">
    /// Null, or [G·H] to receive the column sums of <paramref name="dGatesInput"/> over all T·B rows (an LSTM's bias
    /// gradient), taken in the products' pass over them when it is shared, apart otherwise.
    /// </param>
    public static void Compute(ComputeContext context, in LayerActivations f, float* dGatesInput, float* dGatesRecurrent, int gateColumns, float* scratch, in LayerGradients g, float* gateSums = null)
    {
        int h = f.Hidden, b = f.Batch;
        long stepGates = (long)b * gateColumns;

        // Computed transposed, dWᵀ = inputᵀ·dG, so the narrow matrix (I or H wide) is the one whose values are
        // broadcast and the gate-wide gradients fill whole vector tiles; the small result is then transposed into place.
        // dW_hh = Σ_t dG_tᵀ·h_{t-1}: rows of dG from step 1 on pair with rows of h up to step T-2.
        int rows = f.Steps * b;
        float* recurrentScratch = scratch;
        if (dGatesInput == dGatesRecurrent && f.Steps > 1)
        {
            // Both from the same gate gradients (7.3 MB for the recipe, read from L3): one pass over them for the two
            // products instead of one each. One process alternating the two ways: the training iteration 0.985–0.991 of the
            // time on one thread, 0.985–0.994 on two.
            recurrentScratch = scratch + ((long)f.InputSize * gateColumns);
            context.Product(new MatMulJob
            {
                Form = MatMulForm.AtB,
                A = f.Input,
                Lda = f.InputSize,
                M = f.InputSize,
                C = scratch,
                A2 = f.H,
                Lda2 = h,
                M2 = h,
                Skip2 = b,
                C2 = recurrentScratch,
                ColumnSums = gateSums,
                B = dGatesInput,
                Ldb = gateColumns,
                Ldc = gateColumns,
                N = gateColumns,
                K = rows,
            });
        }
        else
        {
            if (gateSums != null)
            {
                RowSum.Of(dGatesInput, rows, new Span<float>(gateSums, gateColumns));
            }

            context.Product(MatMulForm.AtB, f.Input, f.InputSize, dGatesInput, gateColumns, scratch, gateColumns, f.InputSize, gateColumns, rows, false);
            MatrixTranspose.Transpose(scratch, f.InputSize, gateColumns, g.WeightIh);
            if (f.Steps > 1)
            {
                context.Product(MatMulForm.AtB, f.H, h, dGatesRecurrent + stepGates, gateColumns, scratch, gateColumns, h, gateColumns, rows - b, false);
            }
            else
            {
                // One step: no product runs (depth 0), so the gradient starts from zero.
                new Span<float>(scratch, gateColumns * h).Clear();
            }
        }

        if (f.H0 != null)
        {
            // A given initial state contributes h0ᵀ·dG_0 too.
            context.Product(MatMulForm.AtB, f.H0, h, dGatesRecurrent, gateColumns, recurrentScratch, gateColumns, h, gateColumns, b, true);
        }

        if (recurrentScratch != scratch)
        {
            MatrixTranspose.Transpose(scratch, f.InputSize, gateColumns, g.WeightIh);
        }

        MatrixTranspose.Transpose(recurrentScratch, h, gateColumns, g.WeightHh);
    }

    /// <inheritdoc cref="Compute(ComputeContext, in LayerActivations, float*, float*, int, float*, in LayerGradients, float*)"/>
    public static void Compute(ComputeContext context, in LayerActivations f, float* dGates, int gateColumns, float* scratch, in LayerGradients g, float* gateSums = null)
        => Compute(context, f, dGates, dGates, gateColumns, scratch, g, gateSums);
}
