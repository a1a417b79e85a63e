using EdgeLstm.Model;
using EdgeLstm.Simd;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Engine;

/// <summary>
/// Speed work must not move a bit of training: a short run's parameters are pinned by a checksum taken before the
/// overhead outside the products was removed (blocked transposes, panels packed straight from W, vectorised cell
/// backward, the dropout mask drawn in one call). Hidden 32 fills whole weight panels; 37 keeps the row-major path.
/// Hidden 64 and 67 give the backward products a depth of 4H = 256 and more, which the 512-bit kernels sum in more
/// than one chunk. The same checksum holds at every vector width and thread count (the
/// kernels sum the depth in the same order).
/// </summary>
public class TrainingBitsGoldenTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 32, 24, 0xC8F0483A0465DCEEUL)]
    [InlineData(CellKind.Lstm, 37, 5, 0x5ADB459815AC6811UL)]
    [InlineData(CellKind.Gru, 32, 24, 0x172E02DA7CAD6A1EUL)]
    [InlineData(CellKind.Gru, 37, 5, 0x99ADED91330CB571UL)]
    [InlineData(CellKind.Lstm, 64, 24, 0x1595FC8C430EABDEUL)]
    [InlineData(CellKind.Gru, 67, 9, 0x826B08D975D7CE94UL)]
    public void Five_iterations_give_the_parameters_of_before_the_speed_work(CellKind cell, int hidden, int batch, ulong expected)
    {
        foreach (var width in new[] { SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512 })
        {
            if (!SimdSupport.IsAccelerated(width))
            {
                continue;
            }

            foreach (int threads in new[] { 1, 2 })
            {
                var model = LstmModel.Create(new LstmConfig(7, hidden, 2, 5, 6) { Cell = cell }, 51);
                using var trainer = new LstmTrainer(model, new TrainerOptions { Threads = threads, Seed = 52, KeepProbability = 0.5f, LearningRate = 0.01f, Width = width });
                var random = new SeededRandom(53);
                for (int i = 0; i < 5; i++)
                {
                    var x = new float[batch * 6 * 7];
                    for (int j = 0; j < x.Length; j++)
                    {
                        x[j] = (random.NextSingle() * 2) - 1;
                    }

                    var labels = new int[batch];
                    for (int j = 0; j < batch; j++)
                    {
                        labels[j] = random.NextInt(5);
                    }

                    trainer.TrainBatch(x, labels);
                }

                Assert.True(expected == Fnv1a(model.Parameters), $"{cell} hidden {hidden}, {width}, {threads} thread(s): checksum {Fnv1a(model.Parameters):X16}, expected {expected:X16}");
            }
        }
    }

    private static ulong Fnv1a(ReadOnlySpan<float> values)
    {
        ulong hash = 14695981039346656037UL;
        foreach (float value in values)
        {
            hash ^= BitConverter.SingleToUInt32Bits(value);
            hash *= 1099511628211UL;
        }

        return hash;
    }
}
