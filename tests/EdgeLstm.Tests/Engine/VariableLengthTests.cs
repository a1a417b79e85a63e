using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Tests.Reference;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// Variable-length batches (pack_padded_sequence semantics): against the reference (with and without dropout),
/// independent of how long the padding is and of what it holds, bit-identical on any thread count, and without
/// allocating after warm-up.
/// </summary>
public class VariableLengthTests
{
    private const int Steps = 4, InputSize = 5, Hidden = 12, Outputs = 3;
    private static readonly int[] MixedLengths = [4, 1, 3, 4, 2];

    public static TheoryData<CellKind, HeadKind, int> Cases()
    {
        var data = new TheoryData<CellKind, HeadKind, int>();
        foreach (var head in Enum.GetValues<HeadKind>())
        {
            data.Add(CellKind.Lstm, head, 1);
            data.Add(CellKind.Gru, head, 2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mixed_lengths_match_the_reference(CellKind cell, HeadKind head, int threads)
    {
        int batch = MixedLengths.Length;
        var (config, model, x, xd, labels, floatTargets, exactTargets) = MakeBatch(cell, head, 51);
        var reference = new ReferenceLstm(model) { Lengths = MixedLengths };
        var expected = reference.Forward(xd, labels, LossReduction.MeanOverBatch, batch, exactTargets);

        int rows = config.HeadReadsEveryStep ? batch * Steps : batch;
        var predicted = new float[rows * Outputs];
        using (var predictor = new LstmPredictor(model, threads))
        {
            predictor.Predict(x, batch, MixedLengths, predicted);
        }

        // A per-step head's rows past a sample's length: the reference computes none there; the predictor gives zeros.
        AssertRealRowsClose(config, expected.Probabilities, predicted, batch, "predictions");

        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, Loss = LossReduction.MeanOverBatch, KeepProbability = 1f });
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(x, batch, labels, floatTargets, MixedLengths, training: false);
        var (grads, dInput) = reference.Backward(xd, labels, LossReduction.MeanOverBatch, batch, exactTargets);
        Assert.True(Math.Abs(expected.Loss - loss) <= 1e-5 * Math.Max(1, Math.Abs(expected.Loss)), $"loss {loss} vs {expected.Loss}");
        foreach (var tensor in model.Tensors)
        {
            EngineVersusReferenceTests.AssertClose(grads[tensor.Name], trainer.Gradients.Slice(tensor.Offset, tensor.Length), $"grad {tensor.Name}");
        }

        EngineVersusReferenceTests.AssertClose(dInput, trainer.InputGradient, "grad input");
        Assert.Equal(loss, trainer.EvaluateLoss(x, batch, labels, floatTargets, MixedLengths));

        // The lengths really matter: the same batch at full length has another loss.
        Assert.NotEqual(loss, trainer.EvaluateLoss(x, batch, labels, floatTargets));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dropout_with_mixed_lengths_matches_the_reference(CellKind cell, HeadKind head, int threads)
    {
        int batch = MixedLengths.Length;
        var (_, model, x, xd, labels, floatTargets, exactTargets) = MakeBatch(cell, head, 111);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, Loss = LossReduction.MeanOverBatch, KeepProbability = 0.6f, Seed = 114 });
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(x, batch, labels, floatTargets, MixedLengths, training: true);
        float[][] masks = [.. Enumerable.Range(0, 2).Select(l => trainer.DropoutMask(l).ToArray())];

        // The masks really drop something, and keep something, in every layer (so the test can fail).
        Assert.All(masks, m => Assert.Contains(0f, m));
        Assert.All(masks, m => Assert.Contains(1f / 0.6f, m));

        // The reference, given the engine's masks (a last-step head's top-layer mask moved to each sample's own last step).
        var reference = new ReferenceLstm(model) { Lengths = MixedLengths };
        reference.UseEngineMasks(masks, batch, Steps);
        var expected = reference.Forward(xd, labels, LossReduction.MeanOverBatch, batch, exactTargets);
        var (grads, dInput) = reference.Backward(xd, labels, LossReduction.MeanOverBatch, batch, exactTargets);
        Assert.True(Math.Abs(expected.Loss - loss) <= 1e-5 * Math.Max(1, Math.Abs(expected.Loss)), $"loss {loss} vs {expected.Loss}");
        foreach (var tensor in model.Tensors)
        {
            EngineVersusReferenceTests.AssertClose(grads[tensor.Name], trainer.Gradients.Slice(tensor.Offset, tensor.Length), $"grad {tensor.Name}");
        }

        EngineVersusReferenceTests.AssertClose(dInput, trainer.InputGradient, "grad input");

        // Without the masks the loss differs: the dropout mattered.
        reference.Masks = null;
        Assert.NotEqual(expected.Loss, reference.Forward(xd, labels, LossReduction.MeanOverBatch, batch, exactTargets).Loss);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Results_do_not_depend_on_the_padding_s_length_or_values(CellKind cell, HeadKind head, int threads)
    {
        const int longer = Steps + 5;
        int batch = MixedLengths.Length;
        var config = new LstmConfig(InputSize, Hidden, 2, Outputs, Steps) { Cell = cell, Head = head };
        var model = TestModels.Make(config, 61);
        var x = TestModels.Inputs(batch, Steps, InputSize, 62);
        var (labels, targets) = HeadData.For(config, batch, Steps, 63);
        float[] floatTargets = targets is null ? [] : [.. targets.Select(v => (float)v)];
        var baseline = Run(model, threads, x, batch, Steps, labels, floatTargets);

        // The same batch padded to T+5 steps with garbage in every padded step, input and label or target alike.
        var rng = new SeededRandom(64);
        var xLong = new float[batch * longer * InputSize];
        int perStep = config.HeadReadsEveryStep ? Outputs : 0;
        var labelsLong = config.HeadReadsEveryStep && !config.HeadRegresses ? new int[batch * longer] : labels;
        var targetsLong = config.HeadReadsEveryStep && config.HeadRegresses ? new float[batch * longer * Outputs] : floatTargets;
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < longer; t++)
            {
                bool real = t < MixedLengths[b];
                for (int i = 0; i < InputSize; i++)
                {
                    xLong[(((b * longer) + t) * InputSize) + i] = real ? x[(((b * Steps) + t) * InputSize) + i] : (rng.NextSingle() - 0.5f) * 1e4f;
                }

                if (labelsLong != labels)
                {
                    // A padded step's label is never read nor checked: "no label" (−1, as the readers write it) or anything else.
                    labelsLong[(b * longer) + t] = real ? labels[(b * Steps) + t] : rng.NextInt(3) switch { 0 => -1, 1 => 1000, _ => rng.NextInt(Outputs) };
                }

                for (int k = 0; k < perStep && targetsLong != floatTargets; k++)
                {
                    targetsLong[(((b * longer) + t) * Outputs) + k] = real ? floatTargets[(((b * Steps) + t) * Outputs) + k] : rng.NextSingle() * 1e4f;
                }
            }
        }

        // Not even a NaN or an infinity in the padding reaches anything.
        xLong[((1 * longer) + 2) * InputSize] = float.NaN;
        xLong[(((2 * longer) + longer - 1) * InputSize) + 1] = float.PositiveInfinity;
        var padded = Run(model, threads, xLong, batch, longer, labelsLong, targetsLong);
        Assert.Equal(baseline.Loss, padded.Loss);
        Assert.Equal(baseline.Gradients, padded.Gradients);

        // ∂loss/∂input: the same at real steps, exactly zero at padded ones.
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < longer; t++)
            {
                var got = padded.InputGradient.AsSpan((((b * longer) + t) * InputSize), InputSize).ToArray();
                var want = t < MixedLengths[b] ? baseline.InputGradient.AsSpan((((b * Steps) + t) * InputSize), InputSize).ToArray() : new float[InputSize];
                Assert.Equal(want, got);
            }
        }

        if (!config.HeadReadsEveryStep)
        {
            Assert.Equal(baseline.Predictions, padded.Predictions);
        }

        // The final state of every sample is its state after its own length.
        Assert.Equal(baseline.FinalH, padded.FinalH);
        Assert.Equal(baseline.FinalC, padded.FinalC);
    }

    /// <summary>
    /// A short batch filled up to the trainer's size with empty slots (length 0; garbage inputs, labels and targets)
    /// trains as the short batch alone: the slots add nothing to the loss, its divisor or any gradient.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Empty_slots_add_nothing_to_the_loss_or_the_gradients(CellKind cell, HeadKind head, int threads)
    {
        const int empty = 3;
        int batch = MixedLengths.Length, full = batch + empty;
        var (config, model, x, _, labels, targets, _) = MakeBatch(cell, head, 81);
        var rng = new SeededRandom(82);
        float[] xFull = [.. x, .. Enumerable.Range(0, empty * Steps * InputSize).Select(_ => (rng.NextSingle() - 0.5f) * 1e4f)];
        xFull[^1] = float.NaN;
        int[] labelsFull = labels.Length == 0 ? [] : [.. labels, .. Enumerable.Repeat(-1, (labels.Length / batch) * empty)];
        if (labelsFull.Length > 0)
        {
            labelsFull[^1] = 1000;
        }

        float[] targetsFull = targets.Length == 0 ? [] : [.. targets, .. Enumerable.Range(0, (targets.Length / batch) * empty).Select(_ => rng.NextSingle() * 1e4f)];
        int[] lengthsFull = [.. MixedLengths, .. new int[empty]];

        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, KeepProbability = 1f });
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(x, batch, labels, targets, MixedLengths, training: false);
        var gradients = trainer.Gradients.ToArray();
        var inputGradient = trainer.InputGradient.ToArray();
        float filled = trainer.ComputeGradients(xFull, full, labelsFull, targetsFull, lengthsFull, training: false);
        Assert.Equal(loss, filled);
        Assert.Equal(gradients, trainer.Gradients.ToArray());
        Assert.Equal(inputGradient, trainer.InputGradient[..inputGradient.Length].ToArray());
        Assert.All(trainer.InputGradient[inputGradient.Length..].ToArray(), g => Assert.Equal(0f, g));
        Assert.Equal(loss, trainer.EvaluateLoss(xFull, full, labelsFull, targetsFull, lengthsFull));
    }

    [Fact]
    public void Training_with_lengths_is_bit_identical_on_1_and_3_threads_and_allocates_nothing_after_warm_up()
    {
        int batch = MixedLengths.Length;
        var config = new LstmConfig(InputSize, Hidden, 2, Outputs, Steps) { Cell = CellKind.Gru, Head = HeadKind.ClassifyEveryStep };
        var x = TestModels.Inputs(batch, Steps, InputSize, 72);
        var labels = TestModels.Labels(batch * Steps, Outputs, 73);
        float[]? first = null;
        foreach (int threads in new[] { 1, 3 })
        {
            using var trainer = new LstmTrainer(LstmModel.Create(config, 71), new TrainerOptions { Threads = threads, KeepProbability = 0.8f, Seed = 5 });
            // Past the runtime's tiering threshold (30 calls), as the other allocation tests.
            for (int i = 0; i < 35; i++)
            {
                trainer.TrainBatch(x, batch, labels, MixedLengths);
                trainer.EvaluateLoss(x, batch, labels, default, MixedLengths);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            long workersBefore = trainer.WorkerAllocatedBytes;
            for (int i = 0; i < 3; i++)
            {
                trainer.TrainBatch(x, batch, labels, MixedLengths);
                trainer.EvaluateLoss(x, batch, labels, default, MixedLengths);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(0, trainer.WorkerAllocatedBytes - workersBefore);
            var parameters = trainer.Model.Parameters.ToArray();
            if (first is null)
            {
                first = parameters;
            }
            else
            {
                Assert.Equal(first, parameters);
            }
        }
    }

    [Theory]
    [InlineData(new[] { 4, 0, 2, 1, 1 }, null, "lengths[1] is 0; a length must be 1 to the batch's 4 steps")]
    [InlineData(new[] { 4, -1, 2, 1, 1 }, "lengths[1] is -1; a length must be 0 (an empty slot) to the batch's 4 steps", "lengths[1] is -1; a length must be 1 to the batch's 4 steps")]
    [InlineData(new[] { 4, 5, 2, 1, 1 }, "lengths[1] is 5; a length must be 0 (an empty slot) to the batch's 4 steps", "lengths[1] is 5; a length must be 1 to the batch's 4 steps")]
    [InlineData(new[] { 0, 0, 0, 0, 0 }, "lengths are all 0: the batch's 5 slots are empty; it needs at least one sample", "lengths[0] is 0; a length must be 1 to the batch's 4 steps")]
    [InlineData(new[] { 4, 2 }, "lengths must hold one length per sample: 5; it holds 2", "lengths must hold one length per sample: 5; it holds 2")]
    public void Bad_lengths_are_refused_with_a_message(int[] lengths, string? trainerMessage, string predictorMessage)
    {
        var config = new LstmConfig(InputSize, Hidden, 1, Outputs, Steps);
        using var trainer = new LstmTrainer(LstmModel.Create(config, 1));
        var x = new float[5 * Steps * InputSize];
        if (trainerMessage is not null)
        {
            var refused = Assert.Throws<ArgumentException>(() => trainer.TrainBatch(x, 5, new int[5], lengths));
            Assert.Contains(trainerMessage, refused.Message, StringComparison.Ordinal);
        }

        using var predictor = new LstmPredictor(trainer.Model, 1);
        var e = Assert.Throws<ArgumentException>(() => predictor.Predict(x, 5, lengths, new float[5 * Outputs]));
        Assert.Contains(predictorMessage, e.Message, StringComparison.Ordinal);
    }

    /// <summary>A label of a step the head reads must be a class, even beside padded steps whose labels are not checked.</summary>
    [Theory]
    [InlineData(HeadKind.ClassifyEveryStep, 9, -1, "Label 9 is -1; labels must be 0 to 2")]
    [InlineData(HeadKind.ClassifyEveryStep, 10, 3, "Label 10 is 3; labels must be 0 to 2")]
    [InlineData(HeadKind.ClassifyLastStep, 2, -1, "Label 2 is -1; labels must be 0 to 2")]
    public void A_real_step_without_a_valid_label_is_refused(HeadKind head, int index, int label, string message)
    {
        var config = new LstmConfig(InputSize, Hidden, 1, Outputs, Steps) { Head = head };
        using var trainer = new LstmTrainer(LstmModel.Create(config, 1));
        int batch = MixedLengths.Length;
        var labels = new int[head == HeadKind.ClassifyEveryStep ? batch * Steps : batch];

        // Padded steps say "no label"; one real step gets a bad label (labels 8 to 10 are sample 2's three real steps).
        for (int b = 0; b < batch && head == HeadKind.ClassifyEveryStep; b++)
        {
            labels.AsSpan((b * Steps) + MixedLengths[b], Steps - MixedLengths[b]).Fill(-1);
        }

        labels[index] = label;
        var x = new float[batch * Steps * InputSize];
        var before = trainer.Model.Parameters.ToArray();
        var e = Assert.Throws<ArgumentException>(() => trainer.TrainBatch(x, batch, labels, MixedLengths));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, trainer.Model.Parameters.ToArray());
    }

    /// <summary>A model with non-zero biases, a batch of <see cref="MixedLengths"/>.Length inputs and its labels or targets (float and exact).</summary>
    private static (LstmConfig Config, LstmModel Model, float[] X, double[] Xd, int[] Labels, float[] Targets, double[] ExactTargets) MakeBatch(CellKind cell, HeadKind head, ulong seed)
    {
        int batch = MixedLengths.Length;
        var config = new LstmConfig(InputSize, Hidden, 2, Outputs, Steps) { Cell = cell, Head = head };
        var x = TestModels.Inputs(batch, Steps, InputSize, seed + 1);
        var (labels, targets) = HeadData.For(config, batch, Steps, seed + 2);
        float[] floatTargets = targets is null ? [] : [.. targets.Select(v => (float)v)];
        return (config, TestModels.Make(config, seed), x, [.. x.Select(v => (double)v)], labels, floatTargets, [.. floatTargets.Select(v => (double)v)]);
    }

    private sealed record Outcome(float Loss, float[] Gradients, float[] InputGradient, float[] Predictions, float[] FinalC, float[] FinalH);

    private static Outcome Run(LstmModel model, int threads, float[] x, int batch, int steps, int[] labels, float[] targets)
    {
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, KeepProbability = 1f });
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(x, batch, labels, targets, MixedLengths, training: false);
        var config = model.Config;
        int rows = config.HeadReadsEveryStep ? batch * steps : batch;
        var predictions = new float[rows * config.Classes];
        var finalC = new float[config.Layers * batch * config.HiddenSize];
        var finalH = new float[config.Layers * batch * config.HiddenSize];
        using var predictor = new LstmPredictor(model, threads);
        predictor.Run(x, batch, MixedLengths, default, finalC, finalH, predictions);
        return new Outcome(loss, trainer.Gradients.ToArray(), trainer.InputGradient.ToArray(), predictions, finalC, finalH);
    }

    private static void AssertRealRowsClose(LstmConfig config, double[] expected, float[] actual, int batch, string what)
    {
        if (!config.HeadReadsEveryStep)
        {
            EngineVersusReferenceTests.AssertClose(expected, actual, what);
            return;
        }

        for (int b = 0; b < batch; b++)
        {
            int real = MixedLengths[b] * Outputs, start = b * Steps * Outputs;
            EngineVersusReferenceTests.AssertClose(expected.AsSpan(start, real), actual.AsSpan(start, real), $"{what} of sample {b}");

            // Past its length a sample has no step to predict: zeros, as pad_packed_sequence pads.
            Assert.All(actual.AsSpan(start + real, (Steps * Outputs) - real).ToArray(), v => Assert.Equal(0f, v));
        }
    }
}
