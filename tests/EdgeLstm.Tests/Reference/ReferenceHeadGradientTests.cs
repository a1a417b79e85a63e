using EdgeLstm.Model;
using EdgeLstm.Tests.Engine;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Reference;

/// <summary>The reference's heads (per-step classes, regression of the last step or of every step) against finite differences.</summary>
public class ReferenceHeadGradientTests
{
    [Theory]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyEveryStep)]
    [InlineData(CellKind.Gru, HeadKind.ClassifyEveryStep)]
    [InlineData(CellKind.Lstm, HeadKind.RegressLastStep)]
    [InlineData(CellKind.Gru, HeadKind.RegressEveryStep)]
    [InlineData(CellKind.Lstm, HeadKind.RegressEveryStep)]
    public void Head_gradients_match_finite_differences(CellKind cell, HeadKind head)
        => CheckAgainstFiniteDifferences(cell, head, lengths: null);

    /// <summary>Variable-length batches (lengths T, 1 and 2): every head, both cells.</summary>
    [Theory]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyLastStep)]
    [InlineData(CellKind.Gru, HeadKind.ClassifyLastStep)]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyEveryStep)]
    [InlineData(CellKind.Gru, HeadKind.RegressLastStep)]
    [InlineData(CellKind.Gru, HeadKind.RegressEveryStep)]
    public void Gradients_of_a_variable_length_batch_match_finite_differences(CellKind cell, HeadKind head)
        => CheckAgainstFiniteDifferences(cell, head, lengths: [4, 1, 2]);

    private static void CheckAgainstFiniteDifferences(CellKind cell, HeadKind head, int[]? lengths)
    {
        const int batch = 3, steps = 4;
        var config = new LstmConfig(5, 6, 2, 3, steps) { Cell = cell, Head = head };
        var model = TestModels.Make(config, 7);
        var x = TestModels.Inputs(batch, steps, 5, 8).Select(v => (double)v).ToArray();
        var (labels, targets) = HeadData.For(config, batch, steps, 9);
        var reference = new ReferenceLstm(model) { Lengths = lengths };
        var (grads, dInput) = reference.Backward(x, labels, LossReduction.MeanOverBatch, batch, targets);
        double Loss() => reference.Forward(x, labels, LossReduction.MeanOverBatch, batch, targets).Loss;

        const double eps = 1e-6;
        int checkedValues = 0;
        foreach (var (name, values) in reference.Parameters)
        {
            for (int i = 0; i < values.Length; i += Math.Max(1, values.Length / 11))
            {
                double saved = values[i];
                values[i] = saved + eps;
                double up = Loss();
                values[i] = saved - eps;
                double down = Loss();
                values[i] = saved;
                AssertGradient((up - down) / (2 * eps), grads[name][i], $"{head} {name}[{i}]");
                checkedValues++;
            }
        }

        for (int i = 0; i < x.Length; i += 5)
        {
            double saved = x[i];
            x[i] = saved + eps;
            double up = Loss();
            x[i] = saved - eps;
            double down = Loss();
            x[i] = saved;
            AssertGradient((up - down) / (2 * eps), dInput[i], $"{head} input[{i}]");
            checkedValues++;
        }

        Assert.True(checkedValues > 100, $"only {checkedValues} values checked");
    }

    private static void AssertGradient(double numeric, double analytic, string what)
    {
        double error = Math.Abs(numeric - analytic);
        Assert.True(error <= 1e-8 + (1e-5 * Math.Abs(numeric)), $"{what}: analytic {analytic:G10}, numeric {numeric:G10}");
    }
}

/// <summary>Labels or targets for a head: one label per head row for a classifier, K targets per row for a regression.</summary>
internal static class HeadData
{
    public static (int[] Labels, double[]? Targets) For(LstmConfig config, int batch, int steps, ulong seed)
    {
        int rows = config.HeadReadsEveryStep ? batch * steps : batch;
        var rng = new SeededRandom(seed);
        if (config.HeadRegresses)
        {
            return ([], [.. Enumerable.Range(0, rows * config.Classes).Select(_ => (double)((2 * rng.NextSingle()) - 1))]);
        }

        return ([.. Enumerable.Range(0, rows).Select(_ => rng.NextInt(config.Classes))], null);
    }
}
