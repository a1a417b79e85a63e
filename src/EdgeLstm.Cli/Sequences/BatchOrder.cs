using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Cli.Sequences;

/// <summary>
/// Which training sequences each iteration of <c>train --data FILE</c> takes (<c>--batches</c>): <c>epochs</c>, each
/// epoch in a fresh order with a shorter last batch, so every epoch ends on a batch and gets its validation line; or
/// <c>recipe</c>, the MNIST recipe's <see cref="ShuffledBatches"/> seeded as the recipe seeds it (full batches going
/// round the set, one crossing an epoch's end taking the start of the next), so a sequence file holding the recipe's
/// images trains exactly what the recipe trains.
/// </summary>
internal abstract class BatchOrder
{
    public const string Epochs = "epochs", Recipe = "recipe";

    private protected BatchOrder(int[] trainIndices, int batchSize)
    {
        TrainIndices = trainIndices;
        BatchSize = batchSize;
    }

    private protected int[] TrainIndices { get; }

    private protected int BatchSize { get; }

    public static BatchOrder Create(string kind, int[] trainIndices, int batchSize, ulong seed) => kind == Recipe
        ? new RecipeOrder(trainIndices, batchSize, RunSeeds.From(seed).Shuffle)
        : new EpochOrder(trainIndices, batchSize, seed);

    /// <summary>
    /// The most sequences <see cref="Next"/> ever hands out at once: a training batch's one shape. Epoch order never
    /// has more than the training split; the recipe's order always takes full batches, going round a small set.
    /// </summary>
    public abstract int LargestBatch { get; }

    /// <summary>Iterations that make <paramref name="epochs"/> passes over the training sequences.</summary>
    public abstract long IterationsFor(double epochs);

    /// <summary>The passes over the training sequences that <paramref name="iterations"/> make.</summary>
    public abstract double EpochsOf(long iterations);

    /// <summary>The next batch's sequence indices; <paramref name="endsEpoch"/> says whether it completes a pass.</summary>
    public abstract ReadOnlySpan<int> Next(out bool endsEpoch);

    /// <summary>Sequences of the current pass already handed out (kept in a checkpoint to check a resume's replay).</summary>
    public abstract int Position { get; }

    /// <summary>The shuffling generator's state now (kept in a checkpoint to check a resume's replay).</summary>
    public abstract ulong[] State { get; }

    /// <summary>
    /// Draws the batches of <paramref name="iterations"/> iterations without using them: where a resumed run starts. The
    /// order is a function of the seed and the iterations done, so replaying it is exact by construction, and it costs a
    /// shuffle per epoch passed, nothing beside the training those epochs took.
    /// </summary>
    public void Skip(long iterations)
    {
        for (long i = 0; i < iterations; i++)
        {
            Next(out _);
        }
    }

    /// <summary>Each epoch reshuffled; a batch never crosses an epoch's end.</summary>
    private sealed class EpochOrder(int[] trainIndices, int batchSize, ulong seed) : BatchOrder(trainIndices, batchSize)
    {
        private readonly int[] _order = [.. trainIndices];
        private readonly SeededRandom _shuffle = new(seed ^ 0x5EC0_0E5CUL);
        private int _position;

        public override int LargestBatch => Math.Min(BatchSize, TrainIndices.Length);

        private long PerEpoch => (TrainIndices.Length + BatchSize - 1) / BatchSize;

        public override int Position => _position;

        public override ulong[] State => _shuffle.GetState();

        public override long IterationsFor(double epochs) => (long)Math.Ceiling(epochs * PerEpoch);

        public override double EpochsOf(long iterations) => (double)iterations / PerEpoch;

        public override ReadOnlySpan<int> Next(out bool endsEpoch)
        {
            if (_position == 0)
            {
                for (int i = _order.Length - 1; i > 0; i--)
                {
                    int j = _shuffle.NextInt(i + 1);
                    (_order[i], _order[j]) = (_order[j], _order[i]);
                }
            }

            var part = _order.AsSpan(_position, Math.Min(BatchSize, _order.Length - _position));
            _position += part.Length;
            endsEpoch = _position == _order.Length;
            if (endsEpoch)
            {
                _position = 0;
            }

            return part;
        }
    }

    /// <summary>The recipe's batches over the training sequences (positions in <see cref="BatchOrder.TrainIndices"/>).</summary>
    private sealed class RecipeOrder(int[] trainIndices, int batchSize, ulong shuffleSeed) : BatchOrder(trainIndices, batchSize)
    {
        private readonly ShuffledBatches _batches = new(trainIndices.Length, shuffleSeed);
        private readonly int[] _part = new int[batchSize];
        private int _epochsEnded;

        public override int LargestBatch => BatchSize;

        // As the IDX recipe counts them (TrainCommand): a fraction of an epoch is a fraction of the examples.
        public override long IterationsFor(double epochs) => (long)Math.Ceiling(epochs * TrainIndices.Length / BatchSize);

        public override double EpochsOf(long iterations) => (double)iterations * BatchSize / TrainIndices.Length;

        public override int Position => _batches.Position;

        public override ulong[] State => _batches.EpochShuffleState;

        public override ReadOnlySpan<int> Next(out bool endsEpoch)
        {
            _batches.Next(_part);
            for (int i = 0; i < _part.Length; i++)
            {
                _part[i] = TrainIndices[_part[i]];
            }

            // ShuffledBatches starts the next epoch only when it needs its first example: an epoch that ended on this
            // batch's last example counts now, not inside the next batch.
            int ended = _batches.EpochsCompleted + (_batches.Position == _batches.Count ? 1 : 0);
            endsEpoch = ended > _epochsEnded;
            _epochsEnded = ended;
            return _part;
        }
    }
}
