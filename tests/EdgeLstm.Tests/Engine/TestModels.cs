using EdgeLstm.Model;

namespace EdgeLstm.Tests.Engine;

/// <summary>Small models and batches with odd sizes, so every kernel tail is exercised.</summary>
internal static class TestModels
{
    public static LstmModel Make(LstmConfig config, ulong seed, float biasScale = 0.3f)
    {
        var model = LstmModel.Create(config, seed);
        var rng = new SeededRandom(seed + 1000);

        // Non-zero biases everywhere (a fresh model has zeros), so their gradients are really tested.
        foreach (var t in model.Tensors.Where(t => t.Name.Contains("bias", StringComparison.Ordinal)))
        {
            var data = model.TensorData(t);
            for (int i = 0; i < data.Length; i++)
            {
                data[i] += ((2 * rng.NextSingle()) - 1) * biasScale;
            }
        }

        model.MarkParametersChanged();
        return model;
    }

    public static float[] Inputs(int batch, int steps, int inputSize, ulong seed)
    {
        var rng = new SeededRandom(seed);
        var x = new float[batch * steps * inputSize];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextSingle();
        }

        return x;
    }

    public static int[] Labels(int batch, int classes, ulong seed)
    {
        var rng = new SeededRandom(seed);
        return Enumerable.Range(0, batch).Select(_ => rng.NextInt(classes)).ToArray();
    }
}
