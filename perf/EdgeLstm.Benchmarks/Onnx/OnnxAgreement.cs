using System.Globalization;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.Model;

namespace EdgeLstm.Benchmarks.Onnx;

/// <summary>
/// Before anything is timed: ONNX Runtime, given the ONNX model written from a model's weights, must give EdgeLstm's
/// class probabilities on real MNIST test images, within <see cref="Tolerance"/> — whole sequences at batch 64 and 1,
/// and every step of a stream fed a row at a time. Otherwise the comparison would time a different computation.
/// </summary>
internal static class OnnxAgreement
{
    public const float Tolerance = 1e-5f;

    /// <summary>One model checked: the largest probability difference of each path, and whether all are within tolerance.</summary>
    public sealed record Result(string Model, double Batch64, double Batch1, double Stream, float ProbabilitySpread)
    {
        public bool Agrees => Batch64 <= Tolerance && Batch1 <= Tolerance && Stream <= Tolerance;

        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"{Model}: max |p_EdgeLstm - p_ONNX| batch 64 {Batch64:E2}, batch 1 {Batch1:E2}, stream {Stream:E2} (tolerance {Tolerance:E0}; probabilities span {ProbabilitySpread:F3}) {(Agrees ? "agree" : "DISAGREE")}");
    }

    public static Result Check(string name, LstmModel model, ImageSet images, int threads)
    {
        var config = model.Config;
        int sequence = config.Steps * config.InputSize;
        if (images.ImageLength != sequence)
        {
            throw new InvalidOperationException($"{name}: images of {images.ImageLength} pixels, the model reads {sequence}");
        }

        const int batch = 64;
        using var predictor = new LstmPredictor(model, threads);
        var expected = new float[batch * config.Classes];
        var x = images.ToFloats(0, batch).AsSpan();
        predictor.Predict(x, batch, expected);

        using var onnx64 = new OnnxSequenceRunner(model, batch, threads);
        x.CopyTo(onnx64.Input);
        onnx64.Run();
        double d64 = MaxDifference(expected, onnx64.Output);
        float spread = expected.Max() - expected.Min();

        using var onnx1 = new OnnxSequenceRunner(model, 1, threads);
        double d1 = 0;
        var one = new float[config.Classes];
        for (int i = 0; i < 8; i++)
        {
            var image = images.Image(i);
            predictor.Predict(image, 1, one);
            image.CopyTo(onnx1.Input);
            onnx1.Run();
            d1 = Math.Max(d1, MaxDifference(one, onnx1.Output));
        }

        using var stream = new LstmStream(model, 1, threads);
        using var onnxStream = new OnnxStreamRunner(model, threads);
        double ds = 0;
        for (int i = 0; i < 3; i++)
        {
            stream.Reset();
            onnxStream.Reset();
            var image = images.Image(i);
            for (int t = 0; t < config.Steps; t++)
            {
                var row = image.Slice(t * config.InputSize, config.InputSize);
                stream.Step(row, default, one);
                row.CopyTo(onnxStream.Input);
                onnxStream.Step();
                ds = Math.Max(ds, MaxDifference(one, onnxStream.Output));
            }
        }

        return new Result(name, d64, d1, ds, spread);
    }

    /// <summary>
    /// The same batch-64 comparison against a deliberately wrong ONNX model (gate blocks left in PyTorch's order): must
    /// exceed the tolerance, or the check above could not tell a wrong model from a right one.
    /// </summary>
    public static double WrongGateOrderDifference(LstmModel model, ImageSet images)
    {
        const int batch = 64;
        var config = model.Config;
        var x = images.ToFloats(0, batch).AsSpan();
        using var predictor = new LstmPredictor(model, 1);
        var expected = new float[batch * config.Classes];
        predictor.Predict(x, batch, expected);
        using var wrong = new OnnxSequenceRunner(model, batch, 1, OnnxModelBuilder.Sequence(model, gatesInTorchOrder: true));
        x.CopyTo(wrong.Input);
        wrong.Run();
        return MaxDifference(expected, wrong.Output);
    }

    private static double MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            max = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(max, d);
        }

        return max;
    }
}
