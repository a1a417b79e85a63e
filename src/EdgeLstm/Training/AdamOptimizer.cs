using System.Numerics;

namespace EdgeLstm.Training;

/// <summary>
/// Adam (Kingma &amp; Ba) over one flat parameter buffer, in place, with bias correction written as PyTorch writes it:
/// p −= (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε). The moments are allocated once, with the optimiser.
/// </summary>
public sealed class AdamOptimizer
{
    private readonly float[] _m;
    private readonly float[] _v;

    /// <summary>Creates the optimiser for <paramref name="parameterCount"/> parameters.</summary>
    public AdamOptimizer(int parameterCount, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        _m = new float[parameterCount];
        _v = new float[parameterCount];
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>The step size; may be changed between steps (for a schedule).</summary>
    public float LearningRate { get; set; }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>Steps taken so far (the t of the bias correction).</summary>
    public long Step { get; set; }

    /// <summary>The first moments, for checkpoints.</summary>
    public Span<float> FirstMoment => _m;

    /// <summary>The second moments, for checkpoints.</summary>
    public Span<float> SecondMoment => _v;

    /// <summary>Takes one step: updates the moments from <paramref name="gradients"/> and moves <paramref name="parameters"/>.</summary>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (parameters.Length != _m.Length || gradients.Length != _m.Length)
        {
            throw new ArgumentException($"Adam was made for {_m.Length} parameters; got {parameters.Length} parameters and {gradients.Length} gradients.");
        }

        Step++;
        float b1 = Beta1, b2 = Beta2;
        float stepSize = (float)(LearningRate / (1.0 - Math.Pow(b1, Step)));
        float correction2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(b2, Step));
        Span<float> m = _m, v = _v;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            var vb1 = new Vector<float>(b1);
            var vb2 = new Vector<float>(b2);
            var v1b1 = new Vector<float>(1f - b1);
            var v1b2 = new Vector<float>(1f - b2);
            var vc2 = new Vector<float>(correction2Sqrt);
            var veps = new Vector<float>(Epsilon);
            var vstep = new Vector<float>(stepSize);
            for (; i + w <= m.Length; i += w)
            {
                var g = new Vector<float>(gradients[i..]);
                var mi = (vb1 * new Vector<float>(m[i..])) + (v1b1 * g);
                var vi = (vb2 * new Vector<float>(v[i..])) + (v1b2 * g * g);
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                var p = new Vector<float>(parameters[i..]) - (vstep * mi / ((Vector.SquareRoot(vi) / vc2) + veps));
                p.CopyTo(parameters[i..]);
            }
        }

        for (; i < m.Length; i++)
        {
            float g = gradients[i];
            m[i] = (b1 * m[i]) + ((1f - b1) * g);
            v[i] = (b2 * v[i]) + ((1f - b2) * g * g);
            parameters[i] -= stepSize * m[i] / ((MathF.Sqrt(v[i]) / correction2Sqrt) + Epsilon);
        }
    }
}
