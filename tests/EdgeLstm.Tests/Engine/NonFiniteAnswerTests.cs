using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// An answer whose probabilities are not finite predicts no class (Evaluator.PredictedClass), where ArgMax would read
/// NaN as class 0: the evaluator counts it apart and the batch counter never counts it right.
/// </summary>
public class NonFiniteAnswerTests
{
    /// <summary>A model with finite weights answers a blank image and overflows on a bright one.</summary>
    [Fact]
    public void Examples_with_non_finite_probabilities_are_counted_apart()
    {
        // W_ih all ones, W_hh and the biases zero, fc weights 5e37: a blank image leaves every unit's h within 1e-7 of
        // 0 (logits of order 1e31, finite); a bright one drives h to about 0.98, and 16 units of that times 5e37 pass
        // float's range: logits ∞, probabilities NaN.
        var config = new LstmConfig(4, 16, 1, 3, 4);
        var model = LstmModel.Create(config, 1);
        model.Parameters.Clear();
        var (weightIh, _, _, _) = model.LayerOffsets[0];
        model.Parameters.Slice(weightIh, 4 * 16 * 4).Fill(1f);
        model.Parameters.Slice(model.FcWeightOffset, 3 * 16).Fill(5e37f);
        var pixels = new float[3 * 16];
        pixels.AsSpan(16, 16).Fill(1f);
        var set = new LabeledImages(new ImageSet(3, 4, 4, pixels), [0, 2, 1]);
        using var predictor = new LstmPredictor(model, 1);

        var result = Evaluator.Evaluate(predictor, set);

        Assert.Equal(1, result.NonFinite);
        Assert.Equal(2, result.Total);
        Assert.Equal(2, result.Confusion.Cast<int>().Sum());
        Assert.Equal(0, result.Confusion[2, 0]);
    }

    /// <summary>The batch counter the trainer and the C ABI report: a row that is not finite is never a right answer.</summary>
    [Fact]
    public void A_nan_row_is_not_counted_right_even_under_label_0()
    {
        float[] probabilities = [float.NaN, float.NaN, float.NaN, 0.1f, 0.7f, 0.2f, 0.6f, 0.3f, 0.1f];
        var (correct, judged) = CorrectCount.Of(probabilities, [0, 1, 0], batch: 3, steps: 1, classes: 3, everyStep: false);
        Assert.Equal(2, correct);
        Assert.Equal(3, judged);
        Assert.Equal(-1, Evaluator.PredictedClass(probabilities.AsSpan(0, 3)));
        Assert.Equal(0, Evaluator.ArgMax(probabilities.AsSpan(0, 3)));
    }
}
