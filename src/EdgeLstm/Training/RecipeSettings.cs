using EdgeLstm.Model;

namespace EdgeLstm.Training;

/// <summary>
/// Everything that decides a training run of <see cref="RecipeTrainer"/>. The defaults are the reference recipe: 28 steps
/// of 28 pixels, 2 layers of 256, keep 0.5, Adam 1e-3, batches of 64, 2000 iterations.
/// </summary>
public sealed record RecipeSettings
{
    /// <summary>The architecture.</summary>
    public LstmConfig Model { get; init; } = LstmConfig.Mnist;

    /// <summary>Training iterations (mini-batches) in all, counted from the start of the run (a resumed run included).</summary>
    public long Iterations { get; init; } = 2000;

    /// <summary>Examples per mini-batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Probability of keeping each LSTM output in training.</summary>
    public float KeepProbability { get; init; } = 0.5f;

    /// <summary>Adam's step size.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>
    /// The learning rate at the last iteration: when it differs from <see cref="LearningRate"/>, the rate follows a
    /// cosine from one to the other over <see cref="Iterations"/> (a longer run's usual last few tenths of a percent).
    /// Null (the recipe) keeps the rate constant.
    /// </summary>
    public float? FinalLearningRate { get; init; }

    /// <summary>Seed of the initial weights, the dropout masks and the shuffling.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>How the batch loss is averaged (the recipe averages over batch and classes).</summary>
    public LossReduction Loss { get; init; } = LossReduction.MeanOverBatchAndClasses;

    /// <summary>When positive, the global gradient norm is clipped to this.</summary>
    public float GradientClipNorm { get; init; }

    /// <summary>Iterations between the recipe's report lines (training accuracy on the batch).</summary>
    public int ReportEvery { get; init; } = 200;

    /// <summary>Iterations between checkpoints; 0 for none.</summary>
    public long CheckpointEvery { get; init; }

    /// <summary>Threads in all; 0 = one per processor. Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Model.Validate();
        long parameters = ParameterCount(Model);
        if (parameters > ModelLimits.MaxParameters)
        {
            throw new ArgumentException($"The model would have {parameters:N0} parameters; the most is {ModelLimits.MaxParameters:N0} (1 GiB of weights, and training keeps four copies).");
        }

        if (Iterations < 0)
        {
            throw new ArgumentException($"Iterations must be 0 or more; it is {Iterations}.");
        }

        if (BatchSize < 1 || BatchSize > ModelLimits.MaxBatchSize)
        {
            throw new ArgumentException($"BatchSize must be between 1 and {ModelLimits.MaxBatchSize}; it is {BatchSize}.");
        }

        if (ReportEvery < 1)
        {
            throw new ArgumentException($"ReportEvery must be at least 1; it is {ReportEvery}.");
        }

        if (CheckpointEvery < 0)
        {
            throw new ArgumentException($"CheckpointEvery must be 0 (off) or more; it is {CheckpointEvery}.");
        }

        if (FinalLearningRate is { } final && !(final > 0 && final <= LearningRate))
        {
            throw new ArgumentException($"FinalLearningRate must be above 0 and at most LearningRate ({LearningRate}); it is {final}.");
        }

        ToTrainerOptions(0).Validate();
    }

    /// <summary>
    /// The parameter count of <paramref name="config"/> in checked 64-bit arithmetic, computable before anything is
    /// allocated (and for sizes not yet validated, which is when it is needed).
    /// </summary>
    public static long ParameterCount(LstmConfig config) => ModelLimits.ParameterCount(config);

    /// <summary>The learning rate for the step that follows <paramref name="iterationsDone"/> iterations.</summary>
    public float LearningRateAt(long iterationsDone)
    {
        if (FinalLearningRate is not { } final || Iterations <= 1)
        {
            return LearningRate;
        }

        double progress = Math.Clamp((double)iterationsDone / (Iterations - 1), 0, 1);
        return (float)(final + ((LearningRate - final) * 0.5 * (1 + Math.Cos(Math.PI * progress))));
    }

    /// <summary>The per-batch trainer's options for these settings, with the dropout stream's seed.</summary>
    public TrainerOptions ToTrainerOptions(ulong dropoutSeed) => new()
    {
        LearningRate = LearningRate,
        KeepProbability = KeepProbability,
        Seed = dropoutSeed,
        Threads = Threads,
        Loss = Loss,
        GradientClipNorm = GradientClipNorm,
    };
}
