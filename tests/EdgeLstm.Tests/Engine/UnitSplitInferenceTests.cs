using EdgeLstm.Engine;
using EdgeLstm.Inference;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// Small-batch inference on several threads splits each step by hidden units (<see cref="UnitSplitStepJob"/>): every
/// output, final state and probability must be the one-thread predictor's, bit for bit, on hidden sizes whose weights
/// are panelled and that do not (37, 53: row-major weights, slices of any size), for both cells, whole and padded
/// sequences, and a stream (whose one-step pass also splits the input product). Panel widths depend on the machine
/// (WeightPanels.PreferredWidth: wide only for hidden sizes of whole wide panels), so the panelled sizes split on any:
/// 128 and 192 units (wide panels where 512-bit kernels run, else narrow; 192 split unevenly in slices of 64) and 32,
/// 48 and 80 (narrow panels everywhere, 48 uneven in slices of 16).
/// </summary>
public class UnitSplitInferenceTests
{
    public static TheoryData<CellKind, int, int, int> Cases() => new()
    {
        { CellKind.Lstm, 128, 2, 1 },
        { CellKind.Lstm, 37, 2, 1 },
        { CellKind.Lstm, 192, 2, 2 },
        { CellKind.Lstm, 53, 3, 3 },
        { CellKind.Lstm, 80, 2, 1 },
        { CellKind.Gru, 32, 2, 1 },
        { CellKind.Gru, 37, 2, 2 },
        { CellKind.Gru, 48, 3, 1 },
        { CellKind.Gru, 53, 3, 3 },
        { CellKind.Gru, 128, 2, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_split_sequence_matches_one_thread_exactly(CellKind cell, int hidden, int threads, int batch)
        => SplitSequenceMatchesOneThread(cell, hidden, threads, batch, partsInTurn: false);

    /// <summary>
    /// A thread that another part keeps waiting takes that part's steps over (a worker the OS has not scheduled must
    /// not stall the sequence): with the parts run in turn on the caller, part 0 computes every step of every part,
    /// and the bits are still the one-thread path's.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void A_part_that_never_starts_is_taken_over_with_the_same_bits(CellKind cell, int hidden, int threads, int batch)
        => SplitSequenceMatchesOneThread(cell, hidden, threads, batch, partsInTurn: true);

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_split_stream_step_matches_one_thread_exactly(CellKind cell, int hidden, int threads, int batch)
    {
        const int inputs = 5, classes = 4;
        var model = TestModels.Make(new LstmConfig(inputs, hidden, 2, classes, 4) { Cell = cell }, 73);
        using var alone = new LstmStream(model, batch, 1);
        using var context = new ComputeContext(threads);
        using var split = new LstmStream(model, batch, context);
        var expectedH = new float[batch * hidden];
        var actualH = new float[batch * hidden];
        var expectedP = new float[batch * classes];
        var actualP = new float[batch * classes];
        for (int t = 0; t < 7; t++)
        {
            var x = TestModels.Inputs(batch, 1, inputs, 74 + (ulong)t);
            alone.Step(x, expectedH, expectedP);
            split.Step(x, actualH, actualP);
            Assert.Equal(expectedH, actualH);
            Assert.Equal(expectedP, actualP);
        }

        Assert.Equal(2 * 7, context.UnitSplitStep.StepsRun);
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void Split_steps_allocate_nothing_after_warm_up_on_any_thread(CellKind cell)
    {
        var model = TestModels.Make(new LstmConfig(28, 128, 2, 10, 28) { Cell = cell }, 75);
        var x = TestModels.Inputs(1, 28, 28, 76);
        var probabilities = new float[10];
        using var context = new ComputeContext(2);
        using var predictor = new LstmPredictor(model, context);
        using var stream = new LstmStream(model, 1, context);

        // Past the runtime's tiering threshold (30 calls), as DeterminismAndAllocationTests explains.
        for (int warm = 0; warm < 35; warm++)
        {
            predictor.Predict(x, 1, probabilities);
            stream.Step(x.AsSpan(0, 28), default, probabilities);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long workersBefore = context.WorkerAllocatedBytes;
        long splitBefore = context.UnitSplitStep.StepsRun;
        for (int i = 0; i < 3; i++)
        {
            predictor.Predict(x, 1, probabilities);
            stream.Step(x.AsSpan(0, 28), default, probabilities);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, context.WorkerAllocatedBytes - workersBefore);
        Assert.Equal(3 * ((2 * 28) + 2), context.UnitSplitStep.StepsRun - splitBefore);
    }

    /// <summary>
    /// A step that throws ends the layer's one parallel region: the other parts stop waiting for it, the caller gets the
    /// exception (not a hang), and the next call on the same threads starts clean and gives the one-thread bits. With
    /// the parts in turn on the caller the failing step is a taken-over one, thrown on the caller's thread.
    /// </summary>
    [Theory]
    [InlineData(1, 3, false)]
    [InlineData(0, 0, false)]
    [InlineData(1, 5, true)]
    public async Task A_step_that_throws_ends_the_region_and_the_next_call_is_clean(int failingPart, int failingStep, bool partsInTurn)
    {
        const int steps = 6;
        var model = TestModels.Make(new LstmConfig(5, 128, 2, 4, steps), 77);
        var x = TestModels.Inputs(1, steps, 5, 78);
        var expected = new float[4];
        using (var alone = new LstmPredictor(model, 1))
        {
            alone.Predict(x, 1, expected);
        }

        using var context = new ComputeContext(2);
        using var predictor = new LstmPredictor(model, context);
        context.UnitSplitStep.PartsInTurnOnCaller = partsInTurn;
        context.UnitSplitStep.InjectedFailure = (failingPart, failingStep);
        var probabilities = new float[4];
        var call = Task.Run(() => predictor.Predict(x, 1, probabilities));
        Assert.Same(call, await Task.WhenAny(call, Task.Delay(TimeSpan.FromMinutes(2))));
        // Through the worker pool the failure arrives wrapped (AggregateException); parts in turn on the caller bypass it.
        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => call);
        var injected = thrown is AggregateException { InnerException: { } inner } ? inner : thrown;
        Assert.IsType<InvalidOperationException>(injected);
        Assert.Equal($"injected failure in part {failingPart}, step {failingStep}", injected.Message);

        context.UnitSplitStep.InjectedFailure = null;
        predictor.Predict(x, 1, probabilities);
        Assert.Equal(expected, probabilities);
    }

    private static void SplitSequenceMatchesOneThread(CellKind cell, int hidden, int threads, int batch, bool partsInTurn)
    {
        const int steps = 6, inputs = 5, classes = 4;
        var model = TestModels.Make(new LstmConfig(inputs, hidden, 2, classes, steps) { Cell = cell }, 71);
        var x = TestModels.Inputs(batch, steps, inputs, 72);
        int[] lengths = [.. Enumerable.Range(0, batch).Select(b => steps - (2 * b))];
        foreach (bool padded in new[] { false, true })
        {
            var expected = Run(model, new ComputeContext(1), x, batch, padded ? lengths : default, out _);
            var context = new ComputeContext(threads);
            context.UnitSplitStep.PartsInTurnOnCaller = partsInTurn;
            var actual = Run(model, context, x, batch, padded ? lengths : default, out long splitSteps);
            Assert.Equal(2 * steps, splitSteps);
            if (partsInTurn)
            {
                Assert.Equal((threads - 1) * 2 * steps, context.UnitSplitStep.StepsTakenOver);
            }

            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"{cell} H={hidden}, {threads} threads{(partsInTurn ? " in turn" : string.Empty)}, batch {batch}, padded {padded}: result {i} differs");
            }
        }
    }

    private static float[][] Run(LstmModel model, ComputeContext context, float[] x, int batch, ReadOnlySpan<int> lengths, out long splitSteps)
    {
        using (context)
        {
            var config = model.Config;
            using var predictor = new LstmPredictor(model, context);
            var outputs = new float[config.Steps * batch * config.HiddenSize];
            var finalC = new float[config.Layers * batch * config.HiddenSize];
            var finalH = new float[config.Layers * batch * config.HiddenSize];
            var probabilities = new float[batch * config.Classes];
            predictor.Run(x, batch, lengths, outputs, finalC, finalH, probabilities);
            splitSteps = context.UnitSplitStep.StepsRun;
            return [outputs, finalC, finalH, probabilities];
        }
    }
}
