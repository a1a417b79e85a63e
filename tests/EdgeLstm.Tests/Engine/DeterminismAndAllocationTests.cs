using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

public class DeterminismAndAllocationTests
{
    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void The_same_seed_trains_bit_identically_on_1_2_and_3_threads(CellKind cell)
    {
        var config = new LstmConfig(7, 37, 2, 5, 6) { Cell = cell };
        float[]? reference = null;
        float[]? referenceLosses = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var model = LstmModel.Create(config, 51);
            using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, Seed = 52, KeepProbability = 0.5f, LearningRate = 0.01f });
            var losses = new float[4];
            for (int i = 0; i < losses.Length; i++)
            {
                var x = TestModels.Inputs(24, 6, 7, 53 + (ulong)i);
                var labels = TestModels.Labels(24, 5, 60 + (ulong)i);
                losses[i] = trainer.TrainBatch(x, labels);
            }

            var parameters = model.Parameters.ToArray();
            if (reference is null)
            {
                reference = parameters;
                referenceLosses = losses;
                Assert.NotEqual(LstmModel.Create(config, 51).Parameters.ToArray(), parameters);
            }
            else
            {
                Assert.Equal(referenceLosses, losses);
                Assert.True(reference.AsSpan().SequenceEqual(parameters), $"parameters differ with {threads} threads");
            }
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void Training_and_inference_allocate_nothing_after_warm_up(CellKind cell)
    {
        var config = new LstmConfig(28, 64, 2, 10, 28) { Cell = cell };
        var model = LstmModel.Create(config, 1);
        var x = TestModels.Inputs(16, 28, 28, 2);
        var labels = TestModels.Labels(16, 10, 3);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = 2 });
        using var predictor = new LstmPredictor(model, threads: 2);
        using var stream = new LstmStream(model, 1);
        using var single = new LstmPredictor(model, threads: 1);
        var probabilities = new float[16 * 10];
        var stepProbabilities = new float[10];
        // Past the runtime's tiering threshold (30 calls), as the tests below: a method promoted to tier 1 in the middle of
        // the measured calls (the per-step ones are called many times per batch) could otherwise count the promotion's
        // bookkeeping on this thread; under load that was seen once with 2 warm-up calls.
        for (int warm = 0; warm < 35; warm++)
        {
            trainer.TrainBatch(x, labels);
            predictor.Predict(x, 16, probabilities);
            single.Predict(x.AsSpan(0, 28 * 28), 1, stepProbabilities);
            stream.Step(x.AsSpan(0, 28), default, stepProbabilities);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long workersBefore = trainer.WorkerAllocatedBytes + predictor.WorkerAllocatedBytes;
        for (int i = 0; i < 3; i++)
        {
            trainer.TrainBatch(x, labels);
            predictor.Predict(x, 16, probabilities);
            single.Predict(x.AsSpan(0, 28 * 28), 1, stepProbabilities);
            stream.Step(x.AsSpan(0, 28), default, stepProbabilities);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long workersAllocated = trainer.WorkerAllocatedBytes + predictor.WorkerAllocatedBytes - workersBefore;
        Assert.Equal(0, allocated);
        Assert.Equal(0, workersAllocated);
        Assert.True(trainer.WorkerAllocatedBytes >= 0 && trainer.Threads == 2);
    }

    [Theory]
    [InlineData(CellKind.Gru, HeadKind.RegressEveryStep)]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyEveryStep)]
    public void Per_step_heads_train_and_evaluate_without_allocating_after_warm_up(CellKind cell, HeadKind head)
    {
        var config = new LstmConfig(6, 32, 2, 3, 9) { Cell = cell, Head = head };
        using var trainer = new LstmTrainer(LstmModel.Create(config, 4), new TrainerOptions { Threads = 2 });
        var x = TestModels.Inputs(8, 9, 6, 5);
        var labels = config.HeadRegresses ? [] : TestModels.Labels(8 * 9, 3, 6);
        var targets = config.HeadRegresses ? TestModels.Inputs(8, 9, 3, 7) : [];

        // Past the runtime's tiering threshold (30 calls): a method promoted to tier 1 in the middle of the measured
        // calls could otherwise count the promotion's bookkeeping on this thread. The shape is tiny, so this is quick.
        for (int warm = 0; warm < 35; warm++)
        {
            trainer.ComputeGradients(x, 8, labels, targets);
            trainer.EvaluateLoss(x, 8, labels, targets);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long workersBefore = trainer.WorkerAllocatedBytes;
        for (int i = 0; i < 3; i++)
        {
            trainer.ComputeGradients(x, 8, labels, targets);
            trainer.EvaluateLoss(x, 8, labels, targets);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, trainer.WorkerAllocatedBytes - workersBefore);
    }

    [Fact]
    public void Workers_that_fell_asleep_between_calls_allocate_nothing_when_woken()
    {
        var config = new LstmConfig(28, 32, 2, 10, 28);
        var model = LstmModel.Create(config, 1);
        var x = TestModels.Inputs(16, 28, 28, 2);
        var labels = TestModels.Labels(16, 10, 3);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = 2 });
        for (int warm = 0; warm < 3; warm++)
        {
            trainer.TrainBatch(x, labels);
            Thread.Sleep(20);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long workersBefore = trainer.WorkerAllocatedBytes;
        for (int i = 0; i < 3; i++)
        {
            // Long enough for the workers to stop spinning and block: the next call wakes them from sleep.
            Thread.Sleep(20);
            trainer.TrainBatch(x, labels);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, trainer.WorkerAllocatedBytes - workersBefore);
    }
}
