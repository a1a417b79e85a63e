using EdgeLstm.IO;
using EdgeLstm.Quantization;

namespace EdgeLstm.Tests.Quantization;

/// <summary>The per-row symmetric quantiser against PyTorch's and against its own definition.</summary>
public class Int8QuantizerTests
{
    [Fact]
    public void Values_match_torch_quantize_per_channel_bit_for_bit()
    {
        // Fixtures/int8_torch_golden.safetensors: written by generate_torch_golden.py beside this file. 64 of its rows
        // hold values placed on ties, where dividing by the scale instead of multiplying by its reciprocal disagrees.
        using var reader = SafeTensorsReader.Open(Path.Combine(AppContext.BaseDirectory, "Fixtures", "int8_torch_golden.safetensors"), SafeTensorsDTypes.F32 | SafeTensorsDTypes.I8);
        var q = reader.Find("torch_q")!;
        int rows = (int)q.Shape[0], cols = (int)q.Shape[1];
        var weights = new float[rows * cols];
        var torchScales = new float[rows];
        var torchValues = new sbyte[rows * cols];
        reader.ReadInto(reader.Find("weights")!, weights);
        reader.ReadInto(reader.Find("scales")!, torchScales);
        reader.ReadInto(q, torchValues);

        var matrix = Int8Quantizer.Quantize(weights, rows, cols);

        Assert.Equal(96, rows);
        Assert.Equal(torchScales, matrix.Scales.ToArray());
        Assert.Equal(torchValues, matrix.Values.ToArray());
        int divisionDisagrees = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                float divided = MathF.Round(weights[(i * cols) + j] / torchScales[i], MidpointRounding.ToEven);
                divisionDisagrees += divided != torchValues[(i * cols) + j] ? 1 : 0;
            }
        }

        Assert.True(divisionDisagrees > 0, "the fixture must hold values where the rounding rule matters");
    }

    [Fact]
    public void Ties_round_to_even_and_the_extreme_is_127()
    {
        // Scale 1 (max 127): 0.5 → 0, 1.5 → 2, 2.5 → 2, -0.5 → 0, -2.5 → -2.
        float[] w = [0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 127f, -127f];
        var m = Int8Quantizer.Quantize(w, 1, w.Length);
        Assert.Equal(1f, m.Scales[0]);
        Assert.Equal(new sbyte[] { 0, 2, 2, 0, -2, -2, 127, -127 }, m.Values.ToArray());
    }

    [Fact]
    public void A_row_of_zeros_gets_scale_zero_and_zeros()
    {
        float[] w = [0, 0, 0, 1, -2, 0.5f, 0, -0f, 0];
        var m = Int8Quantizer.Quantize(w, 3, 3);
        Assert.Equal(new[] { 0f, 2f / 127, 0f }, m.Scales.ToArray());
        Assert.Equal(new sbyte[] { 0, 0, 0, 64, -127, 32, 0, 0, 0 }, m.Values.ToArray());
        var back = new float[9];
        Int8Quantizer.Dequantize(m, back);
        Assert.All(back[..3], v => Assert.Equal(0f, v));
        Assert.All(back[6..], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Rows_too_small_for_a_normal_reciprocal_still_quantise()
    {
        // max/127 is subnormal, 1/scale is infinite: the row divides instead of giving NaN (0·∞) or garbage.
        // 1016 ulps of the smallest subnormal: scale 8 ulps, reciprocal 2^146, beyond float's range.
        float tiny = float.Epsilon * 1016;
        float[] w = [tiny, -tiny / 2, 0, float.Epsilon];
        var m = Int8Quantizer.Quantize(w, 1, 4);
        Assert.Equal(float.Epsilon * 8, m.Scales[0]);
        Assert.True(float.IsInfinity(1f / m.Scales[0]));
        Assert.Equal(new sbyte[] { 127, -64, 0, 0 }, m.Values.ToArray());
    }

    [Fact]
    public void Dequantised_weights_are_within_half_a_step_of_the_originals()
    {
        var rng = new Random(3);
        int rows = 37, cols = 65;
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 3)));
        }

        var m = Int8Quantizer.Quantize(w, rows, cols);
        var back = new float[w.Length];
        Int8Quantizer.Dequantize(m, back);
        for (int i = 0; i < rows; i++)
        {
            float scale = m.Scales[i];
            for (int j = 0; j < cols; j++)
            {
                // Half a step, plus the two fp32 roundings (w·(1/s) and s·q), a few ulps of the row's largest value.
                double bound = (scale / 2.0) + (4 * 127 * scale * 1.2e-7);
                Assert.True(Math.Abs(back[(i * cols) + j] - w[(i * cols) + j]) <= bound, $"[{i}, {j}]");
            }
        }
    }

    [Fact]
    public void Non_finite_weights_are_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => Int8Quantizer.Quantize([1, float.NaN], 1, 2));
        Assert.Contains("[0, 1]", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Int8Quantizer.Quantize([1, 2, 3], 1, 2));
    }

    [Theory]
    [InlineData(new sbyte[] { 1, 2 }, new[] { -1f }, "scales: expected a finite number ≥ 0 for row 0, found -1")]
    [InlineData(new sbyte[] { 1, 2 }, new[] { float.NaN }, "scales: expected a finite number ≥ 0 for row 0, found NaN")]
    [InlineData(new sbyte[] { 1, 2 }, new[] { float.PositiveInfinity }, "scales: expected a finite number ≥ 0 for row 0, found Infinity")]
    [InlineData(new sbyte[] { 0, 2 }, new[] { 0f }, "scales: expected a positive scale for row 0, which holds 2 at column 1")]
    [InlineData(new sbyte[] { 1, -128 }, new[] { 1f }, "values: expected -127..127 (symmetric), found -128 at row 0, column 1")]
    [InlineData(new sbyte[] { 1, 2 }, new[] { 1f, 1f }, "scales: expected one scale per row (1), found 2")]
    [InlineData(new sbyte[] { 1 }, new[] { 1f }, "values: expected 2 values for [1, 2], found 1")]
    public void Matrices_that_break_a_rule_are_refused(sbyte[] values, float[] scales, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Int8Matrix(1, 2, values, scales));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_scale_with_zero_row_is_valid()
    {
        var m = new Int8Matrix(2, 2, [0, 0, 3, -4], [0f, 0.5f]);
        Assert.Equal(2 * 2 + (4 * 2), m.WeightBytes);
    }
}
