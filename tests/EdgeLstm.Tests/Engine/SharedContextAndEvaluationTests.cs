using EdgeLstm.Engine;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>The engine's forward-only evaluation, and one compute context driving a trainer, a predictor and a stream.</summary>
public class SharedContextAndEvaluationTests
{
    [Theory]
    [InlineData(LossReduction.MeanOverBatchAndClasses)]
    [InlineData(LossReduction.MeanOverBatch)]
    public void Evaluation_without_a_backward_pass_gives_the_loss_and_probabilities_of_a_full_pass_bit_for_bit(LossReduction reduction)
    {
        var config = new LstmConfig(6, 20, 2, 4, 5);
        var model = TestModels.Make(config, 81);
        var x = TestModels.Inputs(7, 5, 6, 82);
        var labels = TestModels.Labels(7, 4, 83);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = 2, Loss = reduction });
        float full = trainer.ComputeGradients(x, labels, training: false);
        var fullProbabilities = trainer.LastProbabilities.ToArray();
        var gradients = trainer.Gradients.ToArray();

        float evaluated = trainer.EvaluateLoss(x, labels);

        Assert.Equal(full, evaluated);
        Assert.Equal(fullProbabilities, trainer.LastProbabilities.ToArray());
        Assert.Equal(gradients, trainer.Gradients.ToArray());
        Assert.True(evaluated > 0);
    }

    [Fact]
    public void A_trainer_a_predictor_and_a_stream_share_one_context_and_give_what_their_own_contexts_give()
    {
        var config = new LstmConfig(5, 24, 2, 3, 4);
        var x = TestModels.Inputs(8, 4, 5, 91);
        var labels = TestModels.Labels(8, 3, 92);
        var shared = LstmModel.Create(config, 90);
        var alone = LstmModel.Create(config, 90);
        var options = new TrainerOptions { Seed = 93 };

        using var context = new ComputeContext(3);
        using var sharedTrainer = new LstmTrainer(shared, options, context);
        using var sharedPredictor = new LstmPredictor(shared, context);
        using var sharedStream = new LstmStream(shared, 1, context);
        using var ownTrainer = new LstmTrainer(alone, options with { Threads = 2 });
        using var ownPredictor = new LstmPredictor(alone, threads: 1);
        using var ownStream = new LstmStream(alone, 1);
        Assert.Same(context, sharedTrainer.Context);
        Assert.Equal(3, sharedTrainer.Threads);

        var fromShared = new float[8 * 3];
        var fromOwn = new float[8 * 3];
        var stepShared = new float[3];
        var stepOwn = new float[3];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(ownTrainer.TrainBatch(x, labels), sharedTrainer.TrainBatch(x, labels));
            sharedPredictor.Predict(x, 8, fromShared);
            ownPredictor.Predict(x, 8, fromOwn);
            Assert.Equal(fromOwn, fromShared);
            sharedStream.Step(x.AsSpan(0, 5), default, stepShared);
            ownStream.Step(x.AsSpan(0, 5), default, stepOwn);
            Assert.Equal(stepOwn, stepShared);
        }

        Assert.Equal(alone.Parameters.ToArray(), shared.Parameters.ToArray());
        Assert.True(sharedTrainer.LastGradientNorm > 0);
    }
}
