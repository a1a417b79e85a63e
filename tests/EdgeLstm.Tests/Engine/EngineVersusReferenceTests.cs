using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Tests.Kernels;
using EdgeLstm.Tests.Reference;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>The engine's forward pass and every gradient against the double-precision reference.</summary>
public class EngineVersusReferenceTests
{
    public static TheoryData<CellKind, SimdWidth, int, int, int> Cases()
    {
        var data = new TheoryData<CellKind, SimdWidth, int, int, int>();
        foreach (SimdWidth width in MatMulTests.Widths())
        {
            foreach (var cell in new[] { CellKind.Lstm, CellKind.Gru })
            {
                data.Add(cell, width, 1, 3, 7);    // batch 3: below the row split, products split by columns
                data.Add(cell, width, 2, 9, 17);   // batch 9 on 2 threads: the fused per-step jobs split rows
                data.Add(cell, width, 3, 13, 33);
                data.Add(cell, width, 2, 10, 12);  // LSTM 4H = 48: the forward weights are read as 16-column panels
                data.Add(cell, width, 1, 1, 20);   // batch 1 (through the panel path for an LSTM)
                data.Add(cell, width, 2, 10, 16);  // H = 16: 4H fills one wide panel (64) where 512-bit kernels run, 3H narrow ones
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_reference(CellKind cell, SimdWidth width, int threads, int batch, int hidden)
    {
        var config = new LstmConfig(5, hidden, 2, 3, 6) { Cell = cell };
        var model = TestModels.Make(config, 11);
        var x = TestModels.Inputs(batch, 6, 5, 12);
        var labels = TestModels.Labels(batch, 3, 13);
        var expected = new ReferenceLstm(model).Forward(x.Select(v => (double)v).ToArray(), labels, LossReduction.MeanOverBatchAndClasses);

        using var predictor = new LstmPredictor(model, threads, width);
        var outputs = new float[6 * batch * hidden];
        var finalC = new float[2 * batch * hidden];
        var finalH = new float[2 * batch * hidden];
        var probabilities = new float[batch * 3];
        predictor.Run(x, batch, outputs, finalC, finalH, probabilities);

        for (int t = 0; t < 6; t++)
        {
            AssertClose(expected.H[1][t], outputs.AsSpan(t * batch * hidden, batch * hidden), $"outputs step {t}");
        }

        for (int l = 0; l < 2; l++)
        {
            // A GRU has no cell state: its c is reported as zeros.
            AssertClose(cell == CellKind.Gru ? new double[batch * hidden] : expected.C[l][5], finalC.AsSpan(l * batch * hidden, batch * hidden), $"c of layer {l}");
            AssertClose(expected.H[l][5], finalH.AsSpan(l * batch * hidden, batch * hidden), $"h of layer {l}");
        }

        AssertClose(expected.Probabilities, probabilities, "probabilities");
        var logits = new float[batch * 3];
        predictor.PredictLogits(x, batch, logits);
        AssertClose(expected.Logits, logits, "logits");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_gradient_matches_the_reference(CellKind cell, SimdWidth width, int threads, int batch, int hidden)
    {
        foreach (bool dropout in new[] { false, true })
        {
            foreach (var reduction in new[] { LossReduction.MeanOverBatchAndClasses, LossReduction.MeanOverBatch })
            {
                var config = new LstmConfig(5, hidden, 2, 3, 4) { Cell = cell };
                var model = TestModels.Make(config, 21);
                var x = TestModels.Inputs(batch, 4, 5, 22);
                var labels = TestModels.Labels(batch, 3, 23);
                using var trainer = new LstmTrainer(model, new TrainerOptions { KeepProbability = dropout ? 0.6f : 1f, Threads = threads, Width = width, Loss = reduction, Seed = 9 });
                trainer.ComputeInputGradient = true;
                float loss = trainer.ComputeGradients(x, labels, training: true);

                var reference = new ReferenceLstm(model);
                if (dropout)
                {
                    reference.Masks = [.. Enumerable.Range(0, 2).Select(l => trainer.DropoutMask(l).ToArray().Select(v => (double)v).ToArray())];

                    // The top layer feeds the dense layer only at its last step: only that part of its mask is drawn.
                    int last = 3 * batch * hidden;
                    Assert.Contains(reference.Masks[1].Skip(last), v => v == 0);
                    Assert.Contains(reference.Masks[0], v => v == 0);
                }

                var xd = x.Select(v => (double)v).ToArray();
                var (grads, dInput) = reference.Backward(xd, labels, reduction);
                double expectedLoss = reference.Forward(xd, labels, reduction).Loss;
                string what = $"dropout={dropout} {reduction}";
                Assert.True(Math.Abs(expectedLoss - loss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"{what}: loss {loss} vs {expectedLoss}");
                foreach (var tensor in model.Tensors)
                {
                    AssertClose(grads[tensor.Name], trainer.Gradients.Slice(tensor.Offset, tensor.Length), $"{what}: grad {tensor.Name}");
                }

                AssertClose(dInput, trainer.InputGradient, $"{what}: grad input");
            }
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void A_single_step_sequence_has_the_reference_gradients_and_no_recurrent_weight_gradient(CellKind cell)
    {
        var config = new LstmConfig(5, 16, 2, 3, 1) { Cell = cell };
        var model = TestModels.Make(config, 61);
        var x = TestModels.Inputs(9, 1, 5, 62);
        var labels = TestModels.Labels(9, 3, 63);
        using var trainer = new LstmTrainer(model, new TrainerOptions { KeepProbability = 1f, Threads = 2 });
        trainer.ComputeGradients(x, labels, training: false);
        var (grads, _) = new ReferenceLstm(model).Backward(x.Select(v => (double)v).ToArray(), labels, LossReduction.MeanOverBatchAndClasses);
        foreach (var tensor in model.Tensors)
        {
            AssertClose(grads[tensor.Name], trainer.Gradients.Slice(tensor.Offset, tensor.Length), $"T=1: grad {tensor.Name}");
        }

        var whh = model.Tensor($"{config.RecurrentModule}.weight_hh_l1");
        Assert.All(trainer.Gradients.Slice(whh.Offset, whh.Length).ToArray(), g => Assert.Equal(0f, g));
    }

    internal static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (double e in expected)
        {
            scale = Math.Max(scale, Math.Abs(e));
        }

        for (int i = 0; i < expected.Length; i++)
        {
            // float32 arithmetic against double: a few ulps of the tensor's largest value, plus a floor for tiny tensors.
            double tolerance = 1e-7 + (2e-5 * scale);
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= tolerance, $"{what}[{i}]: {actual[i]:G9} vs reference {expected[i]:G9} (error {error:G3}, tolerance {tolerance:G3})");
        }
    }
}
