using EdgeLstm.Simd;

namespace EdgeLstm.Training;

/// <summary>Hyper-parameters and execution settings of an <see cref="LstmTrainer"/>. The defaults are the reference recipe's.</summary>
public sealed record TrainerOptions
{
    /// <summary>Adam's step size (recipe: 1e-3).</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Probability of keeping each LSTM output in training (recipe: 0.5); 1 disables dropout.</summary>
    public float KeepProbability { get; init; } = 0.5f;

    /// <summary>Seed of the dropout masks.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Threads in all; 0 means one per processor. Results are bit-identical for any count.</summary>
    public int Threads { get; init; }

    /// <summary>How the batch loss is averaged (recipe: over batch and classes).</summary>
    public LossReduction Loss { get; init; } = LossReduction.MeanOverBatchAndClasses;

    /// <summary>When positive, gradients are scaled so their global L2 norm is at most this (off by default).</summary>
    public float GradientClipNorm { get; init; }

    /// <summary>The vector width of the matrix kernels.</summary>
    public SimdWidth Width { get; init; } = SimdWidth.Auto;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0 && float.IsFinite(LearningRate)))
        {
            throw new ArgumentException($"LearningRate must be a positive number; it is {LearningRate}.");
        }

        if (!(KeepProbability > 0 && KeepProbability <= 1))
        {
            throw new ArgumentException($"KeepProbability must be in (0, 1]; it is {KeepProbability}.");
        }

        if (!(GradientClipNorm >= 0 && float.IsFinite(GradientClipNorm)))
        {
            throw new ArgumentException($"GradientClipNorm must be 0 (off) or positive; it is {GradientClipNorm}.");
        }

        if (Threads < 0 || Threads > 256)
        {
            throw new ArgumentException($"Threads must be 0 (one per processor) to 256; it is {Threads}.");
        }
    }
}
