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
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = random.NextSingle() < keep ? scale : 0f;
        }

        TensorPrimitives.Multiply(input[..mask.Length], mask, output[..mask.Length]);
    }

    /// <summary>gradient ·= mask, in place.</summary>
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> mask) => TensorPrimitives.Multiply(gradient, mask[..gradient.Length], gradient);
}
