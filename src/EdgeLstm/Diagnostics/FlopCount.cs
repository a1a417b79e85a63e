using EdgeLstm.Model;

namespace EdgeLstm.Diagnostics;

/// <summary>
/// Floating-point operations (a multiply-add counts 2) of the matrix products, per sequence. Element-wise gate work is
/// not counted (it is a few operations per hidden unit against hundreds per unit in the products).
/// </summary>
public static class FlopCount
{
    /// <summary>
    /// Forward: per step and layer, 2·(I_l + H)·G·H for the two products, where G is the cell's gate blocks
    /// (<see cref="LstmConfig.Gates"/>: 4 for an LSTM, 3 for a GRU, whose W_hn·h is one of its three recurrent blocks), plus
    /// 2·H·K for the dense head on each step it reads (the last, or every one).
    /// 45.65 MFLOP for the recipe's model (28 steps, 28 → 2×256 → 10); 34.24 MFLOP with GRU cells.
    /// </summary>
    public static double Forward(LstmConfig config, int steps)
    {
        double perStep = 0;
        for (int l = 0; l < config.Layers; l++)
        {
            perStep += 2.0 * (config.LayerInputSize(l) + config.HiddenSize) * config.Gates * config.HiddenSize;
        }

        int headSteps = config.HeadReadsEveryStep ? steps : 1;
        return (perStep * steps) + (2.0 * config.HiddenSize * config.Classes * headSteps);
    }

    /// <summary>
    /// Forward and backward: the backward pass does each forward product twice (once for the weight gradient, once for
    /// the gradient of its input) except the gradient of the data itself, which training does not need.
    /// 135.35 MFLOP for the recipe's model; 101.51 MFLOP with GRU cells.
    /// </summary>
    public static double Training(LstmConfig config, int steps)
        => (3 * Forward(config, steps)) - (2.0 * config.InputSize * config.Gates * config.HiddenSize * steps);

    /// <summary>One streaming step of one sequence: every layer's two products and the dense head.</summary>
    public static double StreamingStep(LstmConfig config) => Forward(config, 1);
}
