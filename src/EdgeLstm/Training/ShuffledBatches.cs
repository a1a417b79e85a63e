using EdgeLstm.Model;

namespace EdgeLstm.Training;

/// <summary>
/// Mini-batches that go round a training set epoch after epoch, each epoch in a fresh random order, as TF's
/// <c>mnist.train.next_batch</c> does: a batch that crosses the end of an epoch takes the rest of it and the start of
/// the next, newly shuffled, one.
/// </summary>
public sealed class ShuffledBatches
{
    private readonly SeededRandom _random;
    private readonly int[] _order;
    private ulong[] _epochStartState;

    /// <summary>Starts at the first epoch of <paramref name="count"/> examples, shuffled with <paramref name="seed"/>.</summary>
    public ShuffledBatches(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _random = new SeededRandom(seed);
        _order = new int[count];
        _epochStartState = _random.GetState();
        Shuffle();
    }

    /// <summary>Continues from a saved place (see <see cref="EpochShuffleState"/>).</summary>
    public ShuffledBatches(int count, int epochsCompleted, int epochPosition, ReadOnlySpan<ulong> epochShuffleState)
        : this(count, 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochsCompleted);
        ArgumentOutOfRangeException.ThrowIfNegative(epochPosition);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epochPosition, count);
        _random.SetState(epochShuffleState);
        _epochStartState = _random.GetState();
        Shuffle();
        EpochsCompleted = epochsCompleted;
        Position = epochPosition;
    }

    /// <summary>Examples in the set.</summary>
    public int Count => _order.Length;

    /// <summary>Full passes completed.</summary>
    public int EpochsCompleted { get; private set; }

    /// <summary>Examples of the current epoch already handed out.</summary>
    public int Position { get; private set; }

    /// <summary>The generator state that, with <see cref="EpochsCompleted"/> and <see cref="Position"/>, restores this place.</summary>
    public ulong[] EpochShuffleState => (ulong[])_epochStartState.Clone();

    /// <summary>Fills <paramref name="indices"/> with the next examples.</summary>
    public void Next(Span<int> indices)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if (Position == _order.Length)
            {
                EpochsCompleted++;
                _epochStartState = _random.GetState();
                Shuffle();
                Position = 0;
            }

            indices[i] = _order[Position++];
        }
    }

    private void Shuffle()
    {
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        // Fisher–Yates.
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = _random.NextInt(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }
}
