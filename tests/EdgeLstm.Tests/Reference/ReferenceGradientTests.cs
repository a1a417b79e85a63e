using EdgeLstm.Model;
using EdgeLstm.Tests.Engine;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Reference;

/// <summary>The yardstick measured first: the reference's hand-written gradients against central finite differences.</summary>
public class ReferenceGradientTests
{
    [Theory]
    [InlineData(CellKind.Lstm, false, LossReduction.MeanOverBatchAndClasses)]
    [InlineData(CellKind.Lstm, true, LossReduction.MeanOverBatch)]
    [InlineData(CellKind.Gru, false, LossReduction.MeanOverBatchAndClasses)]
    [InlineData(CellKind.Gru, true, LossReduction.MeanOverBatch)]
    public void Reference_gradients_match_finite_differences(CellKind cell, bool withDropout, LossReduction reduction)
    {
        var config = new LstmConfig(5, 7, 2, 3, 4) { Cell = cell };
        var model = TestModels.Make(config, 3);
        var x = TestModels.Inputs(3, 4, 5, 4).Select(v => (double)v).ToArray();
        int[] labels = [0, 2, 1];
        var reference = new ReferenceLstm(model);
        if (withDropout)
        {
            var rng = new SeededRandom(5);
            reference.Masks = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, 4 * 3 * 7).Select(_ => rng.NextSingle() < 0.5f ? 2.0 : 0.0).ToArray()).ToArray();
        }

        var (grads, dInput) = reference.Backward(x, labels, reduction);
        const double eps = 1e-6;
        int checkedValues = 0;
        foreach (var (name, values) in reference.Parameters)
        {
            // Every element of the small tensors, a spread of the large ones.
            for (int i = 0; i < values.Length; i += Math.Max(1, values.Length / 23))
            {
                double saved = values[i];
                values[i] = saved + eps;
                double up = reference.Forward(x, labels, reduction).Loss;
                values[i] = saved - eps;
                double down = reference.Forward(x, labels, reduction).Loss;
                values[i] = saved;
                AssertGradient((up - down) / (2 * eps), grads[name][i], $"{name}[{i}]");
                checkedValues++;
            }
        }

        for (int i = 0; i < x.Length; i += 3)
        {
            double saved = x[i];
            x[i] = saved + eps;
            double up = reference.Forward(x, labels, reduction).Loss;
            x[i] = saved - eps;
            double down = reference.Forward(x, labels, reduction).Loss;
            x[i] = saved;
            AssertGradient((up - down) / (2 * eps), dInput[i], $"input[{i}]");
            checkedValues++;
        }

        Assert.True(checkedValues > 200, $"only {checkedValues} values checked");
    }

    private static void AssertGradient(double numeric, double analytic, string what)
    {
        // Central differences in double with eps 1e-6 are good to about 1e-9 here.
        double error = Math.Abs(numeric - analytic);
        Assert.True(error <= 1e-8 + (1e-5 * Math.Abs(numeric)), $"{what}: analytic {analytic:G10}, numeric {numeric:G10}");
    }
}
