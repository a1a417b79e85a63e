using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Tests.Reference;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>Every head (per-step classes, regression of the last step or of every step) in the engine against the reference.</summary>
public class HeadsVersusReferenceTests
{
    public static TheoryData<CellKind, HeadKind, int, int> Cases()
    {
        var data = new TheoryData<CellKind, HeadKind, int, int>();
        foreach (var head in new[] { HeadKind.ClassifyEveryStep, HeadKind.RegressLastStep, HeadKind.RegressEveryStep })
        {
            data.Add(CellKind.Lstm, head, 1, 3);
            data.Add(CellKind.Gru, head, 2, 9);
            data.Add(CellKind.Lstm, head, 3, 13);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Outputs_loss_and_every_gradient_match_the_reference(CellKind cell, HeadKind head, int threads, int batch)
    {
        const int steps = 4, inputs = 5, hidden = 12, outputs = 3;
        var config = new LstmConfig(inputs, hidden, 2, outputs, steps) { Cell = cell, Head = head };
        var model = TestModels.Make(config, 31);
        var x = TestModels.Inputs(batch, steps, inputs, 32);
        var (labels, targets) = HeadData.For(config, batch, steps, 33);
        float[] floatTargets = targets is null ? [] : [.. targets.Select(v => (float)v)];
        var xd = x.Select(v => (double)v).ToArray();
        var reference = new ReferenceLstm(model);
        var expected = reference.Forward(xd, labels, LossReduction.MeanOverBatch, batch, floatTargets.Select(v => (double)v).ToArray());

        int rows = config.HeadReadsEveryStep ? batch * steps : batch;
        var predicted = new float[rows * outputs];
        using (var predictor = new LstmPredictor(model, threads))
        {
            predictor.Predict(x, batch, predicted);
        }

        EngineVersusReferenceTests.AssertClose(expected.Probabilities, predicted, $"{head}: predictions");

        foreach (bool dropout in new[] { false, true })
        {
            using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, Loss = LossReduction.MeanOverBatch, KeepProbability = dropout ? 0.6f : 1f, Seed = 3 });
            trainer.ComputeInputGradient = true;
            float loss = trainer.ComputeGradients(x, batch, labels, floatTargets, training: dropout);
            if (dropout)
            {
                reference.Masks = [.. Enumerable.Range(0, 2).Select(l => trainer.DropoutMask(l).ToArray().Select(v => (double)v).ToArray())];

                // A per-step head reads every step of the top layer, so all of its mask is drawn; a last-step head's
                // first steps are never drawn (they stay 0 and nothing reads them).
                Assert.Equal(config.HeadReadsEveryStep, reference.Masks[1].Take(batch * hidden).Any(v => v != 0));
            }

            var (grads, dInput) = reference.Backward(xd, labels, LossReduction.MeanOverBatch, batch, floatTargets.Select(v => (double)v).ToArray());
            double expectedLoss = reference.Forward(xd, labels, LossReduction.MeanOverBatch, batch, floatTargets.Select(v => (double)v).ToArray()).Loss;
            reference.Masks = null;
            Assert.True(Math.Abs(expectedLoss - loss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"{head} dropout={dropout}: loss {loss} vs {expectedLoss}");
            foreach (var tensor in model.Tensors)
            {
                EngineVersusReferenceTests.AssertClose(grads[tensor.Name], trainer.Gradients.Slice(tensor.Offset, tensor.Length), $"{head} dropout={dropout}: grad {tensor.Name}");
            }

            EngineVersusReferenceTests.AssertClose(dInput, trainer.InputGradient, $"{head} dropout={dropout}: grad input");
            if (!dropout)
            {
                // The forward-only evaluation gives the same loss, bit for bit.
                Assert.Equal(loss, trainer.EvaluateLoss(x, batch, labels, floatTargets));
            }
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyEveryStep)]
    [InlineData(CellKind.Gru, HeadKind.RegressEveryStep)]
    public void A_stream_gives_a_per_step_head_s_output_of_every_step_bit_for_bit(CellKind cell, HeadKind head)
    {
        const int batch = 2, steps = 5, inputs = 4, outputs = 3;
        var config = new LstmConfig(inputs, 10, 2, outputs, steps) { Cell = cell, Head = head };
        var model = TestModels.Make(config, 41);
        var x = TestModels.Inputs(batch, steps, inputs, 42);
        var whole = new float[batch * steps * outputs];
        using (var predictor = new LstmPredictor(model, 1))
        {
            predictor.Predict(x, batch, whole);
        }

        using var stream = new LstmStream(model, batch);
        var stepInput = new float[batch * inputs];
        var stepOutput = new float[batch * outputs];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                x.AsSpan(((b * steps) + t) * inputs, inputs).CopyTo(stepInput.AsSpan(b * inputs));
            }

            stream.Step(stepInput, default, stepOutput);
            for (int b = 0; b < batch; b++)
            {
                Assert.Equal(whole.AsSpan(((b * steps) + t) * outputs, outputs).ToArray(), stepOutput.AsSpan(b * outputs, outputs).ToArray());
            }
        }
    }

    [Fact]
    public void The_wrong_kind_or_count_of_targets_is_refused_with_a_message()
    {
        var config = new LstmConfig(3, 4, 1, 2, 5) { Head = HeadKind.RegressEveryStep };
        using var trainer = new LstmTrainer(LstmModel.Create(config, 1));
        var x = new float[2 * 5 * 3];
        var e = Assert.Throws<ArgumentException>(() => trainer.TrainBatch(x, 2, new float[2 * 2]));
        Assert.Contains("needs 2 float targets per sample and step: 20 in all; 4 were given", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => trainer.TrainBatch(x, 2, new int[10]));
        Assert.Contains("float targets", e.Message, StringComparison.Ordinal);
    }
}
