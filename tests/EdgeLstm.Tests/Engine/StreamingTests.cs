using EdgeLstm.Inference;
using EdgeLstm.Model;

namespace EdgeLstm.Tests.Engine;

/// <summary>A streaming session, step by step, against the whole-sequence predictor: the same bits.</summary>
public class StreamingTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 1, 1, 31)]
    [InlineData(CellKind.Lstm, 3, 1, 7)]
    [InlineData(CellKind.Lstm, 9, 2, 17)]
    [InlineData(CellKind.Lstm, 2, 1, 24)]
    [InlineData(CellKind.Gru, 1, 1, 31)]
    [InlineData(CellKind.Gru, 3, 1, 7)]
    [InlineData(CellKind.Gru, 9, 2, 17)]
    [InlineData(CellKind.Gru, 2, 1, 16)]
    public void Stepping_T_times_gives_exactly_the_full_sequence(CellKind cell, int batch, int threads, int hidden)
    {
        const int steps = 5, inputs = 6, classes = 4;
        var config = new LstmConfig(inputs, hidden, 2, classes, steps) { Cell = cell };
        var model = TestModels.Make(config, 31);
        var x = TestModels.Inputs(batch, steps, inputs, 32);

        using var predictor = new LstmPredictor(model, threads);
        var outputs = new float[steps * batch * hidden];
        var finalC = new float[2 * batch * hidden];
        var finalH = new float[2 * batch * hidden];
        var probabilities = new float[batch * classes];
        predictor.Run(x, batch, outputs, finalC, finalH, probabilities);

        using var stream = new LstmStream(model, batch, threads);
        var stepInput = new float[batch * inputs];
        var topH = new float[batch * hidden];
        var stepProbabilities = new float[batch * classes];
        for (int round = 0; round < 2; round++)
        {
            for (int t = 0; t < steps; t++)
            {
                for (int b = 0; b < batch; b++)
                {
                    x.AsSpan(((b * steps) + t) * inputs, inputs).CopyTo(stepInput.AsSpan(b * inputs));
                }

                stream.Step(stepInput, topH, stepProbabilities);
                Assert.Equal(outputs.AsSpan(t * batch * hidden, batch * hidden).ToArray(), topH);
            }

            Assert.Equal(probabilities, stepProbabilities);
            var c = new float[batch * hidden];
            var h = new float[batch * hidden];
            for (int l = 0; l < 2; l++)
            {
                stream.GetState(l, c, h);
                Assert.Equal(finalC.AsSpan(l * batch * hidden, batch * hidden).ToArray(), c);
                Assert.Equal(finalH.AsSpan(l * batch * hidden, batch * hidden).ToArray(), h);
            }

            stream.Reset();
        }
    }

    [Fact]
    public void Set_state_resumes_a_stream_where_another_left_off()
    {
        var config = new LstmConfig(3, 9, 2, 2, 6);
        var model = TestModels.Make(config, 41);
        var x = TestModels.Inputs(1, 6, 3, 42);
        using var whole = new LstmStream(model);
        var expected = new float[9];
        for (int t = 0; t < 6; t++)
        {
            whole.Step(x.AsSpan(t * 3, 3), expected);
        }

        using var first = new LstmStream(model);
        for (int t = 0; t < 3; t++)
        {
            first.Step(x.AsSpan(t * 3, 3));
        }

        using var second = new LstmStream(model);
        var c = new float[9];
        var h = new float[9];
        for (int l = 0; l < 2; l++)
        {
            first.GetState(l, c, h);
            second.SetState(l, c, h);
        }

        var actual = new float[9];
        for (int t = 3; t < 6; t++)
        {
            second.Step(x.AsSpan(t * 3, 3), actual);
        }

        Assert.Equal(expected, actual);
        Assert.Throws<ArgumentOutOfRangeException>(() => second.GetState(2, c, h));
        Assert.Throws<ArgumentException>(() => second.Step(new float[2]));
    }
}
