using EdgeLstm.Model;

namespace EdgeLstm.Training;

/// <summary>
/// The three independent generators one training seed drives: the initial weights (the seed itself), the dropout masks
/// and the shuffling, the last two drawn from a generator of the seed. Every trainer derives them here, so the recipe on
/// MNIST images and the same run from a sequence file (<c>train --data FILE.csv --batches recipe</c>) start alike.
/// </summary>
public readonly record struct RunSeeds(ulong Weights, ulong Dropout, ulong Shuffle)
{
    /// <summary>The generators' seeds for the run seeded with <paramref name="seed"/>.</summary>
    public static RunSeeds From(ulong seed)
    {
        var seeds = new SeededRandom(seed);
        ulong dropout = seeds.NextUInt64();
        ulong shuffle = seeds.NextUInt64();
        return new RunSeeds(seed, dropout, shuffle);
    }
}
