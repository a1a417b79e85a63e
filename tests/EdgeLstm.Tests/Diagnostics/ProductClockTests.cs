using EdgeLstm.Engine;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Tests.Engine;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Diagnostics;

/// <summary>
/// The product clock behind the perf tool's <c>products</c> mode: while it records, every matrix product of a call is
/// counted once, whether it runs whole or as a row-split step, on one thread or two; stopped, it counts nothing. The
/// counts are worked out from the network's shape, not read from the engine.
/// </summary>
public class ProductClockTests
{
    private const int Steps = 9, Layers = 2, Batch = 24, Hidden = 96;

    private static readonly LstmConfig Config = new(5, Hidden, Layers, 4, Steps);

    // Forward, per layer: the input projection of all steps, then the recurrent product of every step but the first
    // (its state is zero). Then the head.
    private const int ForwardProducts = (Layers * (1 + (Steps - 1))) + 1;

    // Backward: the head's weight gradient and its gradient to h; per layer the recurrent product of every step but
    // the last (nothing comes from after it), dW_ih and dW_hh as one product (one pass over the gate gradients), and
    // the gradient to the layer below (not below layer 0).
    private const int BackwardProducts = 2 + (Layers * ((Steps - 1) + 1)) + (Layers - 1);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_training_iteration_counts_each_of_its_products_once(int threads)
    {
        var model = TestModels.Make(Config, 71);
        using var context = new ComputeContext(threads);
        using var trainer = new LstmTrainer(model, new TrainerOptions { Seed = 72 }, context);
        var x = TestModels.Inputs(Batch, Steps, 5, 73);
        var labels = Enumerable.Range(0, Batch).Select(i => i % 4).ToArray();
        trainer.TrainBatch(x, labels);

        var clock = context.ProductClock;
        clock.Start();
        trainer.TrainBatch(x, labels);
        clock.Stop();
        Assert.Equal(ForwardProducts + BackwardProducts, clock.Products);
        Assert.True(clock.Elapsed > TimeSpan.Zero);

        // Per shape: the recurrent product forward (h·W_hhᵀ, [B×H]→[B×4H]) and backward (dG·W_hh, [B×4H]→[B×H]) of
        // every step but one, in each layer; the shapes' counts and times add up to the totals.
        Assert.Equal(Layers * (Steps - 1), CountOf(clock, Batch, 4 * Hidden, Hidden));
        Assert.Equal(Layers * (Steps - 1), CountOf(clock, Batch, Hidden, 4 * Hidden));
        Assert.Equal(clock.Products, clock.Shapes.ToArray().Sum(s => s.Count));

        // Each layer's weight gradients: dW_ihᵀ [I×4H] over all T·B rows, and with it dW_hhᵀ [H×4H] over the rows of
        // every step but the first, counted as one product of both parts' work.
        var weightGradients = clock.Shapes.ToArray().Where(s => s.M2 != 0).ToArray();
        Assert.Equal(Layers, weightGradients.Sum(s => s.Count));
        Assert.All(weightGradients, s => Assert.Equal((Hidden, Steps * Batch, (Steps - 1) * Batch), (s.M2, s.K, s.K2)));
        Assert.Equal([5, Hidden], weightGradients.Select(s => s.M).Order());
        Assert.All(weightGradients, s => Assert.Equal(((long)s.M * 4 * Hidden * s.K) + ((long)Hidden * 4 * Hidden * s.K2), s.MultiplyAdds));
        Assert.Equal(clock.Elapsed, clock.Shapes.ToArray().Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Elapsed));

        trainer.TrainBatch(x, labels);
        Assert.Equal(ForwardProducts + BackwardProducts, clock.Products);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Inference_counts_the_forward_products(int threads)
    {
        var model = TestModels.Make(Config, 74);
        using var context = new ComputeContext(threads);
        using var predictor = new LstmPredictor(model, context);
        var x = TestModels.Inputs(Batch, Steps, 5, 75);
        var probabilities = new float[Batch * 4];

        context.ProductClock.Start();
        predictor.Predict(x, Batch, probabilities);
        context.ProductClock.Stop();
        Assert.Equal(ForwardProducts, context.ProductClock.Products);
    }

    private static long CountOf(EdgeLstm.Diagnostics.ProductClock clock, int m, int n, int k)
        => clock.Shapes.ToArray().Where(s => s.M == m && s.N == n && s.K == k).Sum(s => s.Count);
}
