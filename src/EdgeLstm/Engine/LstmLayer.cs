using EdgeLstm.Kernels;
using EdgeLstm.Model;

namespace EdgeLstm.Engine;

/// <summary>
/// One LSTM layer over a whole time-major sequence: <see cref="Forward"/> and its exact reverse <see cref="Backward"/>
/// (BPTT), side by side, on buffers the <see cref="ActivationPlan"/> owns.
/// </summary>
internal static unsafe class LstmLayer
{
    public static void Forward(ComputeContext context, in LayerActivations f, WeightMatrix inputT, WeightMatrix recurrentT, float* bias)
    {
        int h4 = 4 * f.Hidden;
        long bh = f.StepFloats;

        // Small batches on several threads: the whole sequence, its input projection included, in one region split by
        // hidden units (see UnitSplitStepJob).
        if (UnitSplitStepJob.Applies(context, f, inputT, recurrentT))
        {
            context.UnitSplitStep.Run(context, CellKind.Lstm, f, inputT, recurrentT, bias);
            return;
        }

        // The input projection of every step at once: the one large product of the forward pass.
        context.Product(f.Input, f.InputSize, inputT, f.Gates, f.Steps * f.Batch, accumulate: false);

        for (int t = 0; t < f.Steps; t++)
        {
            float* hPrev = t == 0 ? f.H0 : f.OutputAt(t - 1);
            float* cPrev = t == 0 ? f.C0 : f.CellAt(t - 1);
            context.LstmStepForward.Run(context, f.Batch, f.Hidden, f.Gates + (t * f.Batch * (long)h4), bias, hPrev, cPrev, recurrentT, f.CellAt(t), f.TanhCellAt(t), f.H + (t * bh), descending: (t & 1) == 1);

            f.HoldEndedSamples(t);
        }
    }

    /// <summary>
    /// BPTT through a layer whose forward pass kept every step. <paramref name="dH"/> [T·B×H] holds the gradient
    /// reaching each h_t from above (the layer above, or the head) and is used as scratch. <paramref name="dGates"/>
    /// [T·B×4H] receives the gate gradients of every step; <paramref name="dc"/> is [B×H] scratch and
    /// <paramref name="scratch"/> [(I + H)×4H].
    /// </summary>
    /// <param name="weightIh">W_ih row-major [4H×I], as the model stores it.</param>
    /// <param name="weightHh">W_hh row-major [4H×H].</param>
    public static void Backward(ComputeContext context, in LayerActivations f, float* weightIh, float* weightHh, float* dH, float* dGates, float* dc, float* scratch, in LayerGradients g)
    {
        int h = f.Hidden, h4 = 4 * h, b = f.Batch;
        long bh = f.StepFloats, bh4 = 4 * bh;
        new Span<float>(dc, (int)bh).Clear();
        var recurrent = BackwardRecurrentWeight.Of(context, weightHh, 4, h, scratch);
        for (int t = f.Steps - 1; t >= 0; t--)
        {
            float* dGatesNext = t == f.Steps - 1 ? null : dGates + ((t + 1) * bh4);
            float* cPrev = t == 0 ? f.C0 : f.CellAt(t - 1);
            context.LstmStepBackward.Run(context, b, h, dGatesNext, recurrent, dH + (t * bh), f.Gates + (t * bh4), cPrev, f.TanhCellAt(t), dc, dGates + (t * bh4));
        }

        // The bias gradient (the gate gradients' column sums) comes out of the weight gradients' pass over them.
        RecurrentWeightGradients.Compute(context, f, dGates, h4, scratch, g, gateSums: g.BiasIh);
        new Span<float>(g.BiasIh, h4).CopyTo(new Span<float>(g.BiasHh, h4));
        if (g.Input != null)
        {
            context.Product(MatMulForm.AB, dGates, h4, weightIh, f.InputSize, g.Input, f.InputSize, f.Steps * b, f.InputSize, h4, false);
        }
    }
}
