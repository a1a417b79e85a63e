using EdgeLstm.Model;

namespace EdgeLstm.Diagnostics;

/// <summary>Floating-point operations (a multiply-add counts 2) of the matrix products, per sequence.</summary>
public static class FlopCount
{
    /// <summary>
    /// Forward: per step and layer, 2·(I_l + H)·4H for the two products, plus 2·H·C for the dense layer once.
    /// 45.65 MFLOP for the recipe's model (28 steps, 28 → 2×256 → 10).
    /// </summary>
    public static double Forward(LstmConfig config, int steps)
    {
        double perStep = 0;
        for (int l = 0; l < config.Layers; l++)
        {
            perStep += 2.0 * (config.LayerInputSize(l) + config.HiddenSize) * 4 * config.HiddenSize;
        }

        return (perStep * steps) + (2.0 * config.HiddenSize * config.Classes);
    }

    /// <summary>
    /// Forward and backward: the backward pass does each forward product twice (once for the weight gradient, once for
    /// the gradient of its input) except the gradient of the data itself, which training does not need.
    /// 135.35 MFLOP for the recipe's model.
    /// </summary>
    public static double Training(LstmConfig config, int steps)
        => (3 * Forward(config, steps)) - (2.0 * config.InputSize * 4 * config.HiddenSize * steps);

    /// <summary>One streaming step of one sequence: every layer's two products and the dense layer.</summary>
    public static double StreamingStep(LstmConfig config) => Forward(config, 1);
}
