using EdgeLstm.Kernels;
using EdgeLstm.Model;

namespace EdgeLstm.Engine;

/// <summary>
/// One GRU layer over a whole time-major sequence: <see cref="Forward"/> and its exact reverse <see cref="Backward"/>
/// (BPTT), side by side, on buffers the <see cref="ActivationPlan"/> owns.
/// </summary>
internal static unsafe class GruLayer
{
    public static void Forward(ComputeContext context, in LayerActivations f, WeightMatrix inputT, WeightMatrix recurrentT, float* bias)
    {
        long h3 = 3L * f.Hidden;

        // Small batches on several threads: the whole sequence, its input projection included, in one region split by
        // hidden units (see UnitSplitStepJob).
        if (UnitSplitStepJob.Applies(context, f, inputT, recurrentT))
        {
            context.UnitSplitStep.Run(context, CellKind.Gru, f, inputT, recurrentT, bias);
            return;
        }

        // The input projection of every step at once: the one large product of the forward pass.
        context.Product(f.Input, f.InputSize, inputT, f.Gates, f.Steps * f.Batch, accumulate: false);

        for (int t = 0; t < f.Steps; t++)
        {
            float* hPrev = t == 0 ? f.H0 : f.OutputAt(t - 1);
            context.GruStepForward.Run(context, f.Batch, f.Hidden, f.Gates + (t * f.Batch * h3), bias, hPrev, recurrentT, f.Recurrent, f.HiddenNAt(t), f.OutputAt(t), descending: (t & 1) == 1);

            f.HoldEndedSamples(t);
        }
    }

    /// <summary>
    /// BPTT through a layer whose forward pass kept every step. <paramref name="dH"/> [T·B×H] holds the gradient
    /// reaching each h_t from above and is used as scratch. <paramref name="dGates"/> and <paramref name="dHiddenGates"/>
    /// [T·B×3H] receive the gradients of the input and the hidden projections; <paramref name="scratch"/> is
    /// [max(I, H)×3H].
    /// </summary>
    /// <param name="weightIh">W_ih row-major [3H×I], as the model stores it.</param>
    /// <param name="weightHh">W_hh row-major [3H×H].</param>
    public static void Backward(ComputeContext context, in LayerActivations f, float* weightIh, float* weightHh, float* dH, float* dGates, float* dHiddenGates, float* scratch, in LayerGradients g)
    {
        int h = f.Hidden, h3 = 3 * h, b = f.Batch;
        long bh = f.StepFloats, bh3 = 3 * bh;
        var recurrent = BackwardRecurrentWeight.Of(context, weightHh, 3, h, scratch);
        for (int t = f.Steps - 1; t >= 0; t--)
        {
            float* dHiddenNext = t == f.Steps - 1 ? null : dHiddenGates + ((t + 1) * bh3);
            float* hPrev = t == 0 ? f.H0 : f.OutputAt(t - 1);
            float* dhPrev = t == 0 ? null : dH + ((t - 1) * bh);
            context.GruStepBackward.Run(context, b, h, dHiddenNext, recurrent, dH + (t * bh), dhPrev, f.Gates + (t * bh3), f.HiddenNAt(t), hPrev, dGates + (t * bh3), dHiddenGates + (t * bh3));
        }

        RecurrentWeightGradients.Compute(context, f, dGates, dHiddenGates, h3, scratch, g);
        RowSum.Of(dGates, f.Steps * b, new Span<float>(g.BiasIh, h3));
        RowSum.Of(dHiddenGates, f.Steps * b, new Span<float>(g.BiasHh, h3));
        if (g.Input != null)
        {
            context.Product(MatMulForm.AB, dGates, h3, weightIh, f.InputSize, g.Input, f.InputSize, f.Steps * b, f.InputSize, h3, false);
        }
    }
}
