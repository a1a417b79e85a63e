using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Tests.Data.Sequences;

public class SequenceDatasetTests
{
    // Three sequences of 2, 1 and 3 steps, two features each, classes per step.
    private static SequenceDataset StepClasses() => new(
        [0, 2, 3, 6],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        ["a", "b"],
        SequenceTargetKind.StepClass,
        [0, 1, 1, 0, 0, 1],
        2,
        ["no", "yes"],
        [],
        1);

    [Fact]
    public void Gathers_a_padded_batch_into_caller_spans()
    {
        SequenceDataset data = StepClasses();
        var inputs = new float[2 * 3 * 2];
        inputs.AsSpan().Fill(99);
        var lengths = new int[2];
        var classes = new int[2 * 3];
        data.GatherBatch([1, 0], 3, inputs, lengths, classes, []);
        Assert.Equal([1, 2], lengths);
        Assert.Equal([5f, 6f, 0f, 0f, 0f, 0f, 1f, 2f, 3f, 4f, 0f, 0f], inputs);
        Assert.Equal([1, -1, -1, 0, 1, -1], classes);
        Assert.Equal(3, data.MaxLength);
        Assert.Equal(6, data.TotalSteps);
    }

    [Fact]
    public void Gathering_a_batch_allocates_nothing()
    {
        SequenceDataset data = StepClasses();
        var inputs = new float[3 * 3 * 2];
        var lengths = new int[3];
        var classes = new int[3 * 3];
        int[] indices = [2, 0, 1];
        data.GatherBatch(indices, 3, inputs, lengths, classes, []);
        long before = GC.GetAllocatedBytesForCurrentThread();
        data.GatherBatch(indices, 3, inputs, lengths, classes, []);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Gathering_forecast_windows_allocates_nothing()
    {
        var series = new TimeSeries([.. Enumerable.Range(0, 40).Select(i => (float)i)], ["x"], [0]);
        ForecastWindows windows = ForecastWindows.All(series, new ForecastSpec(5, 2, [0]), "s");
        var inputs = new float[2 * 5];
        var lengths = new int[2];
        var values = new float[2 * 2];
        int[] indices = [3, 30];
        windows.GatherBatch(indices, 5, inputs, lengths, [], values);
        long before = GC.GetAllocatedBytesForCurrentThread();
        windows.GatherBatch(indices, 5, inputs, lengths, [], values);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal([-4f, -3f, -2f, -1f, 0f], inputs[..5]);
        Assert.Equal([1f, 2f, 1f, 2f], values);
    }

    [Fact]
    public void Value_targets_per_sequence_and_per_step_are_gathered_with_zero_padding()
    {
        var perStep = new SequenceDataset([0, 1, 3], [1, 2, 3], ["x"], SequenceTargetKind.StepValues, [], 0, null, [10, 11, 20, 21, 30, 31], 2);
        var values = new float[2 * 2 * 2];
        perStep.GatherBatch([0, 1], 2, new float[4], new int[2], [], values);
        Assert.Equal([10f, 11f, 0f, 0f, 20f, 21f, 30f, 31f], values);

        var perSequence = new SequenceDataset([0, 1, 3], [1, 2, 3], ["x"], SequenceTargetKind.SequenceValues, [], 0, null, [5, 6], 1);
        var one = new float[2];
        perSequence.GatherBatch([1, 0], 2, new float[4], new int[2], [], one);
        Assert.Equal([6f, 5f], one);
    }

    [Fact]
    public void Wrong_spans_and_a_too_short_batch_are_refused()
    {
        SequenceDataset data = StepClasses();
        Assert.Throws<ArgumentException>(() => data.GatherBatch([0], 3, new float[5], new int[1], new int[3], []));
        Assert.Throws<ArgumentException>(() => data.GatherBatch([2], 2, new float[4], new int[1], new int[2], []));
    }

    [Fact]
    public void Inconsistent_arrays_are_refused_at_construction()
    {
        Assert.Throws<ArgumentException>(() => new SequenceDataset([0, 2, 2], new float[4], ["x", "y"], SequenceTargetKind.None, [], 0, null, [], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceDataset([0, 1], [1], ["x"], SequenceTargetKind.SequenceClass, [2], 2, null, [], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceDataset([0, 1], [1], ["x"], SequenceTargetKind.SequenceClass, [0], 1, null, [], 1));
        Assert.Throws<ArgumentException>(() => new SequenceDataset([0, 1], [1], ["x"], SequenceTargetKind.SequenceValues, [], 0, null, [1, 2], 1));
    }

    [Fact]
    public void Memory_products_saturate_instead_of_wrapping()
    {
        Assert.Equal(long.MaxValue, MemoryBudget.Product(1L << 40, 1L << 40));
        Assert.Equal(0, MemoryBudget.Product(1L << 40, 1L << 40, 0));
        Assert.Equal(24, MemoryBudget.Product(2, 3, 4));
        Assert.Equal(long.MaxValue, MemoryBudget.Sum(long.MaxValue - 1, 5));
    }

    [Fact]
    public void Normalisation_uses_only_the_given_sequences_and_a_constant_feature_keeps_scale_one()
    {
        // Feature a: 1, 3 in sequence 0 (mean 2, std 1); feature b constant 7; sequence 1 (huge values) is not training.
        var data = new SequenceDataset([0, 2, 3], [1, 7, 3, 7, 1000, 1000], ["a", "b"], SequenceTargetKind.SequenceValues, [], 0, null, [4, 8], 1);
        NormalizationStatistics stats = NormalizationStatistics.ForFeatures(data, [0]);
        Assert.Equal([2f, 7f], stats.Mean);
        Assert.Equal([1f, 1f], stats.Scale);
        float[] rows = [3, 7, 1, 9];
        stats.Normalize(rows);
        Assert.Equal([1f, 0f, -1f, 2f], rows);
        stats.Denormalize(rows);
        Assert.Equal([3f, 7f, 1f, 9f], rows);

        NormalizationStatistics targets = NormalizationStatistics.ForTargets(data, [0, 1]);
        Assert.Equal([6f], targets.Mean);
        Assert.Equal([2f], targets.Scale);
    }

    [Fact]
    public void The_sequence_split_is_seeded_disjoint_and_complete()
    {
        (int[] train, int[] validation) = SequenceSplit.BySequence(10, 0.2, 7);
        Assert.Equal(2, validation.Length);
        Assert.Equal(Enumerable.Range(0, 10), train.Concat(validation).Order());
        Assert.Equal(validation, SequenceSplit.BySequence(10, 0.2, 7).Validation);
        Assert.NotEqual(validation, SequenceSplit.BySequence(10, 0.2, 8).Validation);
        Assert.Throws<ArgumentException>(() => SequenceSplit.BySequence(2, 0.1, 1));
    }
}
