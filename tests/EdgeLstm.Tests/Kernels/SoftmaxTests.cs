using System.Numerics.Tensors;
using EdgeLstm.Kernels;

namespace EdgeLstm.Tests.Kernels;

/// <summary>
/// The head's softmax gives probabilities for logits of any finite size (exp of a logit past 88 is ∞, of every logit
/// below −87 is 0), and keeps TensorPrimitives' bits for ordinary logits, the ones every model was trained with.
/// </summary>
public class SoftmaxTests
{
    [Fact]
    public void Large_and_very_negative_logits_give_probabilities_not_nan()
    {
        float[] logits = [100f, 0f, -100f, -200f, -200f, -400f, 1e31f, 1e31f, -1e31f, -1.2e31f, -1.2e31f, -1.2e31f];
        var p = new float[logits.Length];
        SoftmaxCrossEntropy.Softmax(logits, p, rows: 4, classes: 3);
        Assert.Equal(1f, p[0]);
        Assert.InRange(p[1], 0f, 1e-43f);
        Assert.Equal(0f, p[2]);
        Assert.Equal([0.5f, 0.5f, 0f], p[3..6]);
        Assert.Equal([0.5f, 0.5f, 0f], p[6..9]);
        Assert.All(p[9..], v => Assert.Equal(1f / 3, v, 1e-7f));
    }

    [Fact]
    public void Non_finite_logits_give_a_nan_row_that_no_class_can_be_read_from()
    {
        float[] logits = [float.PositiveInfinity, float.PositiveInfinity, 0f, float.NaN, 1f, 2f, 1f, 2f, 3f];
        var p = new float[logits.Length];
        SoftmaxCrossEntropy.Softmax(logits, p, rows: 3, classes: 3);
        Assert.All(p[..6], v => Assert.True(float.IsNaN(v)));
        Assert.All(p[6..], v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Ordinary_logits_keep_the_bits_of_TensorPrimitives_and_may_be_computed_in_place()
    {
        var rng = new Random(7);
        var logits = Enumerable.Range(0, 64 * 10).Select(_ => (float)((rng.NextDouble() * 150) - 75)).ToArray();
        var expected = new float[logits.Length];
        for (int r = 0; r < 64; r++)
        {
            TensorPrimitives.SoftMax(logits.AsSpan(r * 10, 10), expected.AsSpan(r * 10, 10));
        }

        var inPlace = (float[])logits.Clone();
        SoftmaxCrossEntropy.Softmax(inPlace, inPlace, rows: 64, classes: 10);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), inPlace.Select(BitConverter.SingleToInt32Bits));
    }
}
