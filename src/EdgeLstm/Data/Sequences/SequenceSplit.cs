using EdgeLstm.Model;

namespace EdgeLstm.Data.Sequences;

/// <summary>A validation split by whole sequences (never a sequence's steps on both sides), the same for the same seed.</summary>
public static class SequenceSplit
{
    /// <summary>
    /// Shuffles 0 … count − 1 with <paramref name="seed"/> and puts round(fraction · count) of them in validation; both
    /// halves are returned in ascending order. Each half must get at least one sequence.
    /// </summary>
    public static (int[] Train, int[] Validation) BySequence(int count, double validationFraction, ulong seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be between 0 and 1.");
        }

        int validation = (int)Math.Round(validationFraction * count, MidpointRounding.AwayFromZero);
        if (validation < 1 || validation >= count)
        {
            throw new ArgumentException($"A validation fraction of {validationFraction} of {count} sequences leaves {validation} for validation and {count - validation} for training; each needs at least one.", nameof(validationFraction));
        }

        int[] order = [.. Enumerable.Range(0, count)];
        var random = new SeededRandom(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        int[] held = order[..validation];
        int[] train = order[validation..];
        Array.Sort(held);
        Array.Sort(train);
        return (train, held);
    }
}
