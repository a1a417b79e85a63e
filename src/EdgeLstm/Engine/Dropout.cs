using System.Numerics;
using System.Numerics.Tensors;
using EdgeLstm.Model;

namespace EdgeLstm.Engine;

/// <summary>Inverted dropout: kept values are scaled by 1/keep in training, so nothing changes at test time.</summary>
internal static class Dropout
{
    /// <summary>Draws a mask (0 or 1/keep per element) and writes output = input·mask.</summary>
    public static void Apply(ReadOnlySpan<float> input, Span<float> mask, Span<float> output, float keep, SeededRandom random)
    {
        float scale = 1f / keep;
        random.NextSingles(mask);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var keepVector = new Vector<float>(keep);
            var scaleVector = new Vector<float>(scale);
            for (; i + Vector<float>.Count <= mask.Length; i += Vector<float>.Count)
            {
                var slice = mask.Slice(i, Vector<float>.Count);
                Vector.ConditionalSelect(Vector.LessThan(new Vector<float>(slice), keepVector), scaleVector, Vector<float>.Zero).CopyTo(slice);
            }
        }

        for (; i < mask.Length; i++)
        {
            mask[i] = mask[i] < keep ? scale : 0f;
        }

        TensorPrimitives.Multiply(input[..mask.Length], mask, output[..mask.Length]);
    }

    /// <summary>gradient ·= mask, in place.</summary>
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> mask) => TensorPrimitives.Multiply(gradient, mask[..gradient.Length], gradient);
}
