using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Training;

/// <summary>The checks and counts a caller from outside (the C ABI) uses: finite regression targets, correct rows.</summary>
public class CallerChecksTests
{
    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void A_non_finite_target_the_loss_reads_is_named_with_its_sample_step_and_output(float bad, string shown)
    {
        // batch 2 × steps 3 × outputs 2, sample 1 is 2 steps long: its step 1, output 1 is element 6 + 2 + 1 = 9.
        var targets = new float[12];
        targets[9] = bad;
        var e = Assert.Throws<ArgumentException>(() => RegressionTargets.CheckFinite(targets, 2, 3, 2, everyStep: true, [3, 2]));
        Assert.Contains($"targets[9] (sample 1, step 1, output 1) is {shown}", e.Message, StringComparison.Ordinal);

        var last = new float[4];
        last[3] = bad;
        e = Assert.Throws<ArgumentException>(() => RegressionTargets.CheckFinite(last, 2, 3, 2, everyStep: false));
        Assert.Contains("targets[3] (sample 1, output 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_at_padded_steps_are_not_read()
    {
        var targets = new float[12];
        targets[10] = float.NaN; // sample 1, step 2: padding when sample 1 is 2 steps long
        RegressionTargets.CheckFinite(targets, 2, 3, 2, everyStep: true, [3, 2]);
        Assert.Throws<ArgumentException>(() => RegressionTargets.CheckFinite(targets, 2, 3, 2, everyStep: true));
    }

    [Fact]
    public void A_last_step_head_counts_one_row_per_sample()
    {
        float[] probabilities = [0.1f, 0.9f, 0.8f, 0.2f, 0.3f, 0.7f]; // argmax 1, 0, 1
        var (correct, judged) = CorrectCount.Of(probabilities, [1, 1, 1], 3, 5, 2, everyStep: false);
        Assert.Equal((2L, 3L), (correct, judged));

        // Sample 2 an empty slot (length 0, its label the filler −1): not judged, right or wrong.
        Assert.Equal((1L, 2L), CorrectCount.Of(probabilities, [1, 1, -1], 3, 5, 2, everyStep: false, [5, 3, 0]));
        Assert.Equal((2L, 2L), CorrectCount.Of(probabilities, [1, 0, 1], 3, 5, 2, everyStep: false, [5, 0, 3]));
    }

    [Fact]
    public void A_per_step_head_counts_real_steps_from_time_major_rows()
    {
        // batch 2 × steps 2 × 2 classes, time-major: row (t, b) at (t·2 + b)·2. argmax: (0,0)=0 (0,1)=1 (1,0)=1 (1,1)=0.
        float[] probabilities = [0.9f, 0.1f, 0.2f, 0.8f, 0.4f, 0.6f, 0.7f, 0.3f];
        int[] labels = [0, 1, 1, 1]; // batch-major [b][t]: sample 0 → 0, 1; sample 1 → 1, 1
        Assert.Equal((3L, 4L), CorrectCount.Of(probabilities, labels, 2, 2, 2, everyStep: true));

        // Sample 1 is 1 step long: its step 1 (wrong) is padding and not judged.
        Assert.Equal((3L, 3L), CorrectCount.Of(probabilities, labels, 2, 2, 2, everyStep: true, [2, 1]));
    }

    [Fact]
    public void The_count_agrees_with_the_trainers_evaluation_of_a_per_step_classifier()
    {
        var config = new LstmConfig(3, 5, 1, 4, 6) { Head = HeadKind.ClassifyEveryStep, Cell = CellKind.Gru };
        var model = LstmModel.Create(config, 3);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = 1 });
        var x = new float[2 * 6 * 3];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Sin(i);
        }

        int[] lengths = [6, 4];
        var probabilities = new float[2 * 6 * 4];
        using (var predictor = new LstmPredictor(model, 1))
        {
            predictor.Predict(x, 2, lengths, probabilities); // batch-major [b][t][k]
        }

        var labels = new int[12];
        for (int b = 0; b < 2; b++)
        {
            for (int t = 0; t < 6; t++)
            {
                labels[(b * 6) + t] = Evaluator.ArgMax(probabilities.AsSpan(((b * 6) + t) * 4, 4)); // every real step right
            }
        }

        labels[1] = (labels[1] + 1) % 4; // one real step wrong
        labels[11] = (labels[11] + 1) % 4; // a padded step: not judged
        trainer.EvaluateLoss(x, 2, labels, default, lengths);
        Assert.Equal((9L, 10L), CorrectCount.Of(trainer.LastProbabilities, labels, 2, 6, 4, everyStep: true, lengths));
    }
}
