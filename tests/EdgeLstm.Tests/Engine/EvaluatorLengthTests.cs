using EdgeLstm.Data.Sequences;
using EdgeLstm.Inference;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// The evaluator on sequences of different lengths: every sequence is scored as if it ran alone at its own length
/// (pack_padded_sequence semantics), and a per-step head's padded steps count neither right nor wrong.
/// </summary>
public class EvaluatorLengthTests
{
    private const int Features = 3, Classes = 4;
    private static readonly int[] Lengths = [5, 1, 3, 6, 2, 6, 4];

    [Theory]
    [InlineData(CellKind.Gru, HeadKind.ClassifyLastStep, 3)]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyEveryStep, 2)]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyLastStep, 500)]
    public void Each_sequence_counts_as_it_does_alone_at_its_own_length(CellKind cell, HeadKind head, int batchSize)
    {
        var config = new LstmConfig(Features, 9, 2, Classes, Lengths.Max()) { Cell = cell, Head = head };
        var model = TestModels.Make(config, 101, biasScale: 1f);
        var set = MakeSet(config.HeadReadsEveryStep);
        using var predictor = new LstmPredictor(model, 1);
        int calls = 0;

        var result = Evaluator.Evaluate(predictor, set, batchSize, done => calls++);

        // Expected: each sequence on its own, batch 1, exactly its own steps: no padding anywhere.
        var expected = new EvaluationResult(Classes);
        for (int i = 0; i < set.Count; i++)
        {
            int length = set.Length(i);
            var probabilities = new float[(config.HeadReadsEveryStep ? length : 1) * Classes];
            predictor.Predict(set.Steps(i), 1, probabilities);
            if (config.HeadReadsEveryStep)
            {
                for (int t = 0; t < length; t++)
                {
                    expected.Add(set.StepClasses(i)[t], Evaluator.ArgMax(probabilities.AsSpan(t * Classes, Classes)));
                }
            }
            else
            {
                expected.Add(set.SequenceClass(i), Evaluator.ArgMax(probabilities));
            }
        }

        Assert.Equal(config.HeadReadsEveryStep ? Lengths.Sum() : Lengths.Length, result.Total);
        Assert.Equal(expected.Total, result.Total);
        Assert.Equal(expected.Confusion, result.Confusion);
        Assert.InRange(result.Correct, 1, result.Total - 1); // neither all right nor all wrong: the count means something
        Assert.Equal((Lengths.Length + batchSize - 1) / batchSize, calls);
    }

    [Fact]
    public void A_head_that_does_not_fit_the_targets_is_refused()
    {
        using var predictor = new LstmPredictor(LstmModel.Create(new LstmConfig(Features, 4, 1, Classes, 6), 1), 1);
        var e = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(predictor, MakeSet(everyStep: true)));
        Assert.Contains("needs SequenceClass targets; the set has StepClass", e.Message, StringComparison.Ordinal);
        using var regression = new LstmPredictor(LstmModel.Create(new LstmConfig(Features, 4, 1, Classes, 6) { Head = HeadKind.RegressLastStep }, 1), 1);
        e = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(regression, MakeSet(everyStep: false)));
        Assert.Contains("Accuracy needs a classifier", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_set_gives_an_empty_result()
    {
        using var predictor = new LstmPredictor(LstmModel.Create(new LstmConfig(Features, 4, 1, Classes, 6), 1), 1);
        var empty = new SequenceDataset([0], [], ["a", "b", "c"], SequenceTargetKind.SequenceClass, [], Classes, null, [], 0);
        var result = Evaluator.Evaluate(predictor, empty);
        Assert.Equal(0, result.Total);
    }

    /// <summary>Sequences of <see cref="Lengths"/> steps, classes per sequence or per step from a fixed seed.</summary>
    private static SequenceDataset MakeSet(bool everyStep)
    {
        int[] offsets = [0, .. Lengths.Select((_, i) => Lengths.Take(i + 1).Sum())];
        int total = offsets[^1];
        var features = TestModels.Inputs(1, total, Features, 102).Select(v => (v * 4) - 2).ToArray();
        var classes = TestModels.Labels(everyStep ? total : Lengths.Length, Classes, 103);
        return new SequenceDataset(
            offsets,
            features,
            ["a", "b", "c"],
            everyStep ? SequenceTargetKind.StepClass : SequenceTargetKind.SequenceClass,
            classes,
            Classes,
            null,
            [],
            0);
    }
}
