using EdgeLstm.Model;
using EdgeLstm.Tests.Reference;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// Dropout and variable lengths together, for every cell and head, against the float64 reference given the engine's
/// own masks: the loss, every parameter's gradient and the input's.
/// </summary>
public class DropoutWithLengthsTests
{
    private const int Steps = 5, InputSize = 4, Hidden = 11, Outputs = 3;
    private static readonly int[] Lengths = [5, 2, 1, 4, 3, 5];

    public static TheoryData<CellKind, HeadKind, int> Cases()
    {
        var data = new TheoryData<CellKind, HeadKind, int>();
        foreach (var head in Enum.GetValues<HeadKind>())
        {
            data.Add(CellKind.Lstm, head, 2);
            data.Add(CellKind.Gru, head, 1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dropout_with_mixed_lengths_matches_the_reference(CellKind cell, HeadKind head, int threads)
    {
        int batch = Lengths.Length;
        var config = new LstmConfig(InputSize, Hidden, 2, Outputs, Steps) { Cell = cell, Head = head };
        var model = TestModels.Make(config, 111);
        var x = TestModels.Inputs(batch, Steps, InputSize, 112);
        var (labels, targets) = HeadData.For(config, batch, Steps, 113);
        float[] floatTargets = targets is null ? [] : [.. targets.Select(v => (float)v)];
        double[] exactTargets = [.. floatTargets.Select(v => (double)v)];
        var xd = x.Select(v => (double)v).ToArray();

        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, Loss = LossReduction.MeanOverBatch, KeepProbability = 0.6f, Seed = 114 });
        trainer.ComputeInputGradient = true;
        float loss = trainer.ComputeGradients(x, batch, labels, floatTargets, Lengths, training: true);
        float[][] masks = [.. Enumerable.Range(0, 2).Select(l => trainer.DropoutMask(l).ToArray())];

        // The masks really drop something at the real steps each layer passes on (so the test can fail).
        for (int l = 0; l < 2; l++)
        {
            Assert.Contains(0f, masks[l]);
            Assert.Contains(1f / 0.6f, masks[l]);
        }

        var reference = new ReferenceLstm(model) { Lengths = Lengths };
        reference.UseEngineMasks(masks, batch, Steps);
        var expected = reference.Forward(xd, labels, LossReduction.MeanOverBatch, batch, exactTargets);
        var (grads, dInput) = reference.Backward(xd, labels, LossReduction.MeanOverBatch, batch, exactTargets);
        Assert.True(Math.Abs(expected.Loss - loss) <= 1e-5 * Math.Max(1, Math.Abs(expected.Loss)), $"loss {loss} vs {expected.Loss}");
        foreach (var tensor in model.Tensors)
        {
            EngineVersusReferenceTests.AssertClose(grads[tensor.Name], trainer.Gradients.Slice(tensor.Offset, tensor.Length), $"grad {tensor.Name}");
        }

        EngineVersusReferenceTests.AssertClose(dInput, trainer.InputGradient, "grad input");

        // Without the dropout the loss differs: the masks mattered.
        reference.Masks = null;
        Assert.NotEqual(expected.Loss, reference.Forward(xd, labels, LossReduction.MeanOverBatch, batch, exactTargets).Loss);
    }
}
