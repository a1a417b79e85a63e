using EdgeLstm.Training;

namespace EdgeLstm.Tests.Recipe;

public class ShuffledBatchesTests
{
    [Fact]
    public void Each_epoch_is_a_permutation_and_a_batch_may_straddle_two_epochs()
    {
        var batches = new ShuffledBatches(10, 4);
        var indices = new int[4];
        var seen = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            batches.Next(indices);
            seen.AddRange(indices);
        }

        Assert.Equal(Enumerable.Range(0, 10), seen.Take(10).Order());
        Assert.Equal(Enumerable.Range(0, 10), seen.Skip(10).Take(10).Order());
        Assert.NotEqual(seen.Take(10), seen.Skip(10).Take(10));
        // As TF's next_batch, an epoch counts as completed when the next one is begun.
        Assert.Equal(1, batches.EpochsCompleted);
        Assert.Equal(10, batches.Position);
    }

    [Fact]
    public void A_saved_place_restores_the_same_future()
    {
        var original = new ShuffledBatches(37, 11);
        var indices = new int[8];
        for (int i = 0; i < 9; i++)
        {
            original.Next(indices);
        }

        var restored = new ShuffledBatches(37, original.EpochsCompleted, original.Position, original.EpochShuffleState);
        var a = new int[8];
        var b = new int[8];
        for (int i = 0; i < 20; i++)
        {
            original.Next(a);
            restored.Next(b);
            Assert.Equal(a, b);
        }

        Assert.Equal(original.EpochsCompleted, restored.EpochsCompleted);
    }
}
