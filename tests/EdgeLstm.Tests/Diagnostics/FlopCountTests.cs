using EdgeLstm.Diagnostics;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Diagnostics;

/// <summary>
/// The FLOP counts the benchmarks divide by, worked out by hand for the recipe's shape (28 steps, 28 → 2×256 → 10):
/// per step, layer 0 does x·W_ihᵀ (28 × G·256) and h·W_hhᵀ (256 × G·256), layer 1 the same with 256 inputs; G is 4 gate
/// blocks for an LSTM (i, f, g, o), 3 for a GRU (r, z, n).
/// </summary>
public class FlopCountTests
{
    private static readonly LstmConfig Gru = LstmConfig.Mnist with { Cell = CellKind.Gru };

    [Fact]
    public void Lstm_forward_and_training_match_the_hand_count()
    {
        // 2·(28+256)·1024 + 2·(256+256)·1024 = 581 632 + 1 048 576 per step; ·28; + 2·256·10 for the head.
        Assert.Equal(45_650_944, FlopCount.Forward(LstmConfig.Mnist, 28));
        // 3× forward, less the data gradient 2·28·1024 per step that training skips.
        Assert.Equal(135_347_200, FlopCount.Training(LstmConfig.Mnist, 28));
        Assert.Equal(1_630_208 + 5_120, FlopCount.StreamingStep(LstmConfig.Mnist));
    }

    [Fact]
    public void Gru_counts_three_gate_blocks_not_four()
    {
        // 2·(28+256)·768 + 2·(256+256)·768 = 436 224 + 786 432 per step; ·28; + 5 120 for the head.
        Assert.Equal(34_239_488, FlopCount.Forward(Gru, 28));
        Assert.Equal(101_514_240, FlopCount.Training(Gru, 28));
        Assert.Equal(1_222_656 + 5_120, FlopCount.StreamingStep(Gru));
    }

    [Fact]
    public void A_head_of_every_step_is_counted_on_every_step()
    {
        var everyStep = LstmConfig.Mnist with { Head = HeadKind.ClassifyEveryStep };
        Assert.Equal(45_650_944 + (27 * 5_120), FlopCount.Forward(everyStep, 28));
    }
}
