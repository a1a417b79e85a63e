using EdgeLstm.Engine;
using EdgeLstm.Inference;
using EdgeLstm.Kernels;
using EdgeLstm.Model;
using EdgeLstm.Quantization;
using EdgeLstm.Simd;
using EdgeLstm.Tests.Kernels;
using EdgeLstm.Tests.Reference;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// An int8 model (<see cref="LstmModel.Int8Weights"/>) run by the engine: the same bits as the scalar loop of its
/// arithmetic for every cell, head, width and thread count; a stream the same bits as the whole sequence; nothing
/// allocated after warm-up; and close to the fp32 engine on the dequantised weights.
/// </summary>
public class Int8EngineTests
{
    public static TheoryData<CellKind, HeadKind, SimdWidth, int, int, int> Cases()
    {
        var data = new TheoryData<CellKind, HeadKind, SimdWidth, int, int, int>();
        SimdSupport.AllowEmulatedWidths = true;
        SimdWidth[] widths = [SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512];
        int i = 0;
        foreach (var cell in new[] { CellKind.Lstm, CellKind.Gru })
        {
            foreach (var head in Enum.GetValues<HeadKind>())
            {
                // Odd hidden sizes (gate rows not a whole panel), batches past the four-input block, 1 to 3 threads.
                data.Add(cell, head, widths[i % widths.Length], 1 + (i % 3), new[] { 1, 5, 9 }[i % 3], new[] { 7, 17, 24 }[(i / 3) % 3]);
                i++;
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Predictions_are_the_bits_of_the_scalar_reference(CellKind cell, HeadKind head, SimdWidth width, int threads, int batch, int hidden)
    {
        const int steps = 5, inputs = 6, outputs = 3;
        var config = new LstmConfig(inputs, hidden, 2, outputs, steps) { Cell = cell, Head = head };
        var model = Int8Weights.Quantize(TestModels.Make(config, 41));
        var x = TestModels.Inputs(batch, steps, inputs, 42);
        int rows = config.HeadReadsEveryStep ? batch * steps : batch;
        using var predictor = new LstmPredictor(model, threads, width);

        var logits = new float[rows * outputs];
        predictor.PredictLogits(x, batch, logits);
        Int8MatVecTests.AssertBits(Int8NetworkReference.Logits(model, x, batch), logits, $"{cell} {head} {width} {threads} thread(s)");

        // Variable lengths: each sample's state is held past its own length.
        int[] lengths = [.. Enumerable.Range(0, batch).Select(b => 1 + ((b * 3) % steps))];
        predictor.PredictLogits(x, batch, lengths, logits);
        Int8MatVecTests.AssertBits(Int8NetworkReference.Logits(model, x, batch, lengths), logits, $"{cell} {head} lengths");
    }

    [Theory]
    [InlineData(CellKind.Lstm, HeadKind.ClassifyLastStep)]
    [InlineData(CellKind.Gru, HeadKind.RegressEveryStep)]
    public void The_first_weights_read_are_the_int8_ones(CellKind cell, HeadKind head)
    {
        // A negative control: the reference of the int8 arithmetic is not what the fp32 engine computes on the same
        // (dequantised) parameters, so the test above can tell the two paths apart.
        var config = new LstmConfig(6, 17, 2, 3, 5) { Cell = cell, Head = head };
        var model = Int8Weights.Quantize(TestModels.Make(config, 41));
        var x = TestModels.Inputs(4, 5, 6, 42);
        int rows = config.HeadReadsEveryStep ? 4 * 5 : 4;
        var fp32 = new float[rows * 3];
        using (var predictor = new LstmPredictor(Dequantised(model), 1))
        {
            predictor.PredictLogits(x, 4, fp32);
        }

        var expected = Int8NetworkReference.Logits(model, x, 4);
        Assert.Contains(Enumerable.Range(0, fp32.Length), i => fp32[i] != expected[i]);
    }

    [Theory]
    [InlineData(CellKind.Lstm, 1, 1, 31)]
    [InlineData(CellKind.Lstm, 9, 2, 17)]
    [InlineData(CellKind.Gru, 1, 1, 31)]
    [InlineData(CellKind.Gru, 3, 2, 16)]
    public void A_stream_gives_exactly_the_whole_sequence(CellKind cell, int batch, int threads, int hidden)
    {
        const int steps = 5, inputs = 6, classes = 4;
        var config = new LstmConfig(inputs, hidden, 2, classes, steps) { Cell = cell };
        var model = Int8Weights.Quantize(TestModels.Make(config, 31));
        var x = TestModels.Inputs(batch, steps, inputs, 32);
        using var predictor = new LstmPredictor(model, threads);
        var outputs = new float[steps * batch * hidden];
        var probabilities = new float[batch * classes];
        predictor.Run(x, batch, outputs, default, default, probabilities);

        using var stream = new LstmStream(model, batch, threads);
        var stepInput = new float[batch * inputs];
        var topH = new float[batch * hidden];
        var stepProbabilities = new float[batch * classes];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                x.AsSpan(((b * steps) + t) * inputs, inputs).CopyTo(stepInput.AsSpan(b * inputs));
            }

            stream.Step(stepInput, topH, stepProbabilities);
            Int8MatVecTests.AssertBits(outputs.AsSpan(t * batch * hidden, batch * hidden).ToArray(), topH, $"step {t}");
        }

        Int8MatVecTests.AssertBits(probabilities, stepProbabilities, "probabilities");
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void Probabilities_are_within_a_thousandth_of_the_fp32_engine_on_the_dequantised_weights(CellKind cell)
    {
        // The same weights (q·scale); what differs is the activations, quantised to int8 per row before each product
        // (half a step of max|x|/127 each). Measured here: 1.9e-4 at most, for either cell. The recipe's shape, so the
        // sums are as long as the real model's.
        var config = LstmConfig.Mnist with { Cell = cell };
        var model = Int8Weights.Quantize(LstmModel.Create(config, 5));
        var x = TestModels.Inputs(8, config.Steps, config.InputSize, 6);
        var int8 = new float[8 * config.Classes];
        var fp32 = new float[8 * config.Classes];
        using (var predictor = new LstmPredictor(model, 1))
        {
            predictor.Predict(x, 8, int8);
        }

        using (var predictor = new LstmPredictor(Dequantised(model), 1))
        {
            predictor.Predict(x, 8, fp32);
        }

        double worst = Enumerable.Range(0, int8.Length).Max(i => Math.Abs(int8[i] - fp32[i]));
        Assert.True(worst <= 1e-3, $"largest difference {worst:E2}");
        Assert.True(worst > 0, "the int8 path ran (the activations' quantisation shows)");
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void Inference_and_streaming_allocate_nothing_after_warm_up(CellKind cell)
    {
        var config = new LstmConfig(28, 64, 2, 10, 28) { Cell = cell };
        var model = Int8Weights.Quantize(LstmModel.Create(config, 1));
        var x = TestModels.Inputs(16, 28, 28, 2);
        using var predictor = new LstmPredictor(model, threads: 2);
        using var stream = new LstmStream(model, 1);
        using var single = new LstmPredictor(model, threads: 1);

        // Batch 1 on two threads: steps split by hidden units.
        using var context = new ComputeContext(2);
        using var splitPredictor = new LstmPredictor(model, context);
        using var splitStream = new LstmStream(model, 1, context);
        var probabilities = new float[16 * 10];
        var stepProbabilities = new float[10];
        void Run()
        {
            predictor.Predict(x, 16, probabilities);
            single.Predict(x.AsSpan(0, 28 * 28), 1, stepProbabilities);
            stream.Step(x.AsSpan(0, 28), default, stepProbabilities);
            splitPredictor.Predict(x.AsSpan(0, 28 * 28), 1, stepProbabilities);
            splitStream.Step(x.AsSpan(0, 28), default, stepProbabilities);
        }

        // Past the runtime's tiering threshold (30 calls), as the engine's other allocation tests.
        for (int warm = 0; warm < 35; warm++)
        {
            Run();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long workersBefore = predictor.WorkerAllocatedBytes;
        long splitWorkersBefore = context.WorkerAllocatedBytes;
        long splitBefore = context.UnitSplitStep.StepsRun;
        for (int i = 0; i < 3; i++)
        {
            Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, predictor.WorkerAllocatedBytes - workersBefore);
        Assert.Equal(0, context.WorkerAllocatedBytes - splitWorkersBefore);
        Assert.Equal(2, predictor.Threads);
        Assert.Equal(3 * ((2 * 28) + 2), context.UnitSplitStep.StepsRun - splitBefore);
    }

    [Fact]
    public void The_bits_are_those_every_processor_gave()
    {
        // The same computation, as a Native AOT program, gave this hash of its outputs' bits on arm64 under qemu with
        // SDOT (-cpu max) and without it (-cpu cortex-a72, ARMv8.0), and on x64 with AVX-VNNI and with SSE only: the
        // integer sums are exact, so the instruction set must not show in any bit.
        ulong hash = 1469598103934665603;
        foreach (var cell in new[] { CellKind.Lstm, CellKind.Gru })
        {
            foreach (var head in Enum.GetValues<HeadKind>())
            {
                var config = new LstmConfig(13, 37, 2, 5, 6) { Cell = cell, Head = head };
                var model = Int8Weights.Quantize(LstmModel.Create(config, 7));
                var rng = new SeededRandom(3);
                var x = Enumerable.Range(0, 6 * 6 * 13).Select(_ => (rng.NextSingle() * 2) - 1).ToArray();
                var y = new float[(config.HeadReadsEveryStep ? 6 * 6 : 6) * 5];
                using (var predictor = new LstmPredictor(model, 2))
                {
                    predictor.Predict(x, 6, y);
                }

                using var stream = new LstmStream(model, 1, 1);
                var step = new float[5];
                for (int t = 0; t < 6; t++)
                {
                    stream.Step(x.AsSpan(t * 13, 13), default, step);
                }

                foreach (float v in y.Concat(step))
                {
                    hash = (hash ^ (uint)BitConverter.SingleToInt32Bits(v)) * 1099511628211;
                }
            }
        }

        Assert.Equal(0x0996BECAAA71BFC8UL, hash);
    }

    [Theory]
    [InlineData(CellKind.Lstm, 1)]
    [InlineData(CellKind.Lstm, 3)]
    [InlineData(CellKind.Lstm, 9)]
    [InlineData(CellKind.Gru, 1)]
    [InlineData(CellKind.Gru, 3)]
    [InlineData(CellKind.Gru, 9)]
    public void Two_threads_give_the_bits_of_one_and_a_small_batch_splits_by_units(CellKind cell, int batch)
    {
        // Hidden 48: three panels, so two threads take unequal slices of units. Batches under 4·threads rows split
        // each step by units; batch 9 splits by rows. Either way the bits are one thread's.
        var config = new LstmConfig(5, 48, 2, 4, 6) { Cell = cell };
        var model = Int8Weights.Quantize(TestModels.Make(config, 51));
        var x = TestModels.Inputs(batch, 6, 5, 52);
        using var one = new ComputeContext(1);
        using var two = new ComputeContext(2);
        var expected = Outputs(model, x, batch, one);
        var actual = Outputs(model, x, batch, two);
        Int8MatVecTests.AssertBits(expected, actual, $"{cell} batch {batch}");

        // Predictor and stream: 2 layers × 6 steps each.
        Assert.Equal(batch < 8 ? 2 * 2 * 6 : 0, two.UnitSplitStep.StepsRun);
        Assert.Equal(0, one.UnitSplitStep.StepsRun);
    }

    [Fact]
    public unsafe void An_int8_product_counts_a_quarter_of_the_work_of_an_fp32_one()
    {
        // The threshold that decides whether to share a product is in fp32 multiply-adds; an int8 one reads a quarter
        // of the bytes and its instructions do four times the multiply-adds, so it must reach the threshold at four
        // times the multiply-adds to be shared.
        var int8 = new Int8PanelMatrix(Int8Quantizer.Quantize(new float[48 * 20], 48, 20));
        var fp32 = new WeightMatrix(MatMulForm.AB, null, 20, 48);
        var quantised = new WeightMatrix(MatMulForm.AB, null, 20, 48) { Int8 = int8 };
        Assert.Equal(7L * 48 * 20, fp32.Work(7));
        Assert.Equal(7L * 48 * 20 / 4, quantised.Work(7));
    }

    [Fact]
    public void Outputs_where_a_step_may_split_by_units_are_the_pinned_bits()
    {
        // Hidden sizes of whole 16-row panels (the recipe's 256 among them), batch 1 and 9, one to three threads: the
        // shapes where a step may be shared by hidden units, by rows or by panels. The hash was taken on the engine
        // before int8 steps could split by units, so every route through the threads must still give these bits.
        ulong hash = 1469598103934665603;
        foreach (var cell in new[] { CellKind.Lstm, CellKind.Gru })
        {
            foreach (var (hidden, inputs) in new[] { (32, 5), (48, 5), (256, 28) })
            {
                var config = new LstmConfig(inputs, hidden, 2, 4, 6) { Cell = cell };
                var model = Int8Weights.Quantize(LstmModel.Create(config, 9));
                foreach (int batch in new[] { 1, 9 })
                {
                    var x = TestModels.Inputs(batch, 6, inputs, 10);
                    foreach (int threads in new[] { 1, 2, 3 })
                    {
                        using var context = new ComputeContext(threads);
                        foreach (float v in Outputs(model, x, batch, context))
                        {
                            hash = (hash ^ (uint)BitConverter.SingleToInt32Bits(v)) * 1099511628211;
                        }
                    }
                }
            }
        }

        Assert.Equal(0xBDFDB30CAF5AE99DUL, hash);
    }

    /// <summary>Everything a predictor and a stream in <paramref name="context"/> give for <paramref name="x"/>, one after the other.</summary>
    private static float[] Outputs(LstmModel model, float[] x, int batch, ComputeContext context)
    {
        var config = model.Config;
        int steps = config.Steps, hidden = config.HiddenSize, classes = config.Classes;
        var outputs = new float[steps * batch * hidden];
        var finalC = new float[config.Layers * batch * hidden];
        var finalH = new float[config.Layers * batch * hidden];
        var probabilities = new float[batch * classes];
        using (var predictor = new LstmPredictor(model, context))
        {
            predictor.Run(x, batch, outputs, finalC, finalH, probabilities);
        }

        var all = new List<float>([.. outputs, .. finalC, .. finalH, .. probabilities]);
        using var stream = new LstmStream(model, batch, context);
        var stepInput = new float[batch * config.InputSize];
        var topH = new float[batch * hidden];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                x.AsSpan(((b * steps) + t) * config.InputSize, config.InputSize).CopyTo(stepInput.AsSpan(b * config.InputSize));
            }

            stream.Step(stepInput, topH, probabilities);
            all.AddRange(topH);
            all.AddRange(probabilities);
        }

        return [.. all];
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void An_int8_model_builds_no_fp32_weight_matrices(CellKind cell)
    {
        // The recipe's 2×256 model: its fp32 weight matrices are 3.3 MB (LSTM), their int8 form a quarter of that.
        var config = LstmConfig.Mnist with { Cell = cell };
        var model = Int8Weights.Quantize(LstmModel.Create(config, 5));
        long fp32MatrixBytes = 4L * Int8Weights.WeightTensors(model).Sum(t => (long)t.Length);
        long biasBytes = 4L * config.Layers * 4 * config.HiddenSize;
        var x = TestModels.Inputs(1, config.Steps, config.InputSize, 6);
        var probabilities = new float[config.Classes];

        // The first prediction packs the weights, on the calling thread: all it allocates is counted here.
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var predictor = new LstmPredictor(model, 1))
        {
            predictor.Predict(x, 1, probabilities);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var weights = EngineWeights.Of(model);
        string sizes = $"engine weights {weights.Bytes} B, first prediction allocated {allocated} B, int8 weights {model.Int8Weights!.WeightBytes} B, fp32 matrices {fp32MatrixBytes} B";
        Assert.IsType<Int8PackedWeights>(weights);

        // The engine's weights: the int8 panels (a few rows of padding and a row sum per row more than the int8 weights
        // themselves) and the fp32 biases, and the first prediction allocated little more than they take.
        Assert.True(weights.Bytes <= (model.Int8Weights.WeightBytes * 21 / 20) + biasBytes, sizes);
        Assert.True(allocated < fp32MatrixBytes / 2, sizes);
    }

    [Fact]
    public void The_trainer_refuses_an_int8_model()
    {
        var model = Int8Weights.Quantize(TestModels.Make(new LstmConfig(3, 4, 1, 2, 2), 1));
        var ex = Assert.Throws<NotSupportedException>(() => new LstmTrainer(model));
        Assert.Contains("int8", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The same parameters (the dequantised weights) as an fp32 model.</summary>
    private static LstmModel Dequantised(LstmModel int8)
    {
        var fp32 = LstmModel.CreateEmpty(int8.Config);
        int8.Parameters.CopyTo(fp32.Parameters);
        fp32.MarkParametersChanged();
        return fp32;
    }
}
