using System.IO.Compression;
using System.Runtime.InteropServices;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Data;

/// <summary>
/// IDX pixels are held as bytes, zeros left out, and scaled when a batch is copied; these prove that gives exactly the
/// floats (and so the trained bits) of the reader that made floats up front, whatever the images hold, and that a
/// header needing more than the budget is refused before the payload is allocated.
/// </summary>
public class ImageSetTests
{
    /// <summary>What IdxReader did before pixels stayed bytes: every pixel became byte × (1/255) when the file was read.</summary>
    private static float[] AsTheFloatReaderDid(ReadOnlySpan<byte> bytes)
    {
        var pixels = new float[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            pixels[i] = bytes[i] * (1f / 255f);
        }

        return pixels;
    }

    private static int[] Bits(ReadOnlySpan<float> values) => MemoryMarshal.Cast<float, int>(values).ToArray();

    [Fact]
    public void Every_byte_value_scales_to_the_bits_the_float_reader_gave()
    {
        byte[] all = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        var set = IdxReader.ReadImages(IdxBuilder.Images(1, 16, 16, i => all[i]), "all");
        Assert.Equal(Bits(AsTheFloatReaderDid(all)), Bits(set.ToFloats(0, 1)));

        // The same values in a mostly black image, which is stored as a bitmap and the non-zero values.
        byte[] sparse = new byte[32 * 32];
        for (int i = 0; i < 256; i++)
        {
            sparse[i * 4] = (byte)i;
        }

        var sparseSet = IdxReader.ReadImages(IdxBuilder.Images(1, 32, 32, i => sparse[i]), "sparse");
        Assert.True(sparseSet.StoredBytes < sparse.Length / 2, $"{sparseSet.StoredBytes} bytes stored");
        Assert.Equal(Bits(AsTheFloatReaderDid(sparse)), Bits(sparseSet.ToFloats(0, 1)));

        // The test can tell: dividing by 255 instead of multiplying by 1/255 differs in the last bit for some bytes.
        Assert.Contains(all, b => BitConverter.SingleToInt32Bits(b / 255f) != BitConverter.SingleToInt32Bits(b * (1f / 255f)));
    }

    [Fact]
    public void Sparse_and_dense_images_across_chunks_read_back_exactly_and_sparse_ones_take_less()
    {
        // Even images mostly black (stored as bitmap + values), odd ones with no zero at all (stored plain); 4000 of
        // them fill several 1 MiB chunks and several 1 MiB pieces of the reader.
        const int count = 4000, side = 28, length = side * side;
        static byte Pixel(int i) => (i / length) % 2 == 0
            ? (byte)(i % 5 == 0 ? (i * 31) + 1 : 0)
            : (byte)((i % 255) + 1);
        byte[] file = IdxBuilder.Images(count, side, side, Pixel);
        var set = IdxReader.ReadImages(IdxBuilder.Gzip(file), "mixed.gz");
        // Plain images: 784 bytes; sparse ones: a 98-byte bitmap and at most 157 values; and 8 bytes of place each.
        long plain = count / 2 * (long)length;
        Assert.InRange(set.StoredBytes, plain + (count / 2 * 98), plain + (count / 2 * (98 + 157)) + (count * 8));
        Assert.True(set.StoredBytes < 0.7 * count * length, $"{set.StoredBytes} bytes stored");

        var all = new float[count * length];
        set.CopyImages(0, count, all);
        Assert.Equal(Bits(AsTheFloatReaderDid(file.AsSpan(16))), Bits(all));

        var whole = new ImageSet(count, side, side, AsTheFloatReaderDid(file.AsSpan(16)));
        var labels = new LabeledImages(set, new int[count]);
        int[] indices = [3999, 0, 1337, 1336, 2674, 5, 2];
        var batch = new float[indices.Length * length];
        labels.CopyBatch(indices, batch, new int[indices.Length]);
        for (int b = 0; b < indices.Length; b++)
        {
            Assert.Equal(Bits(whole.Image(indices[b])), Bits(batch.AsSpan(b * length, length)));
        }
    }

    [Fact]
    public void Copying_batches_from_stored_bytes_allocates_nothing()
    {
        // The training loop's data path: a shuffled batch, and the evaluator's contiguous ranges.
        byte[] file = IdxBuilder.Images(500, 28, 28, i => (byte)(i % 3 == 0 ? i : 0));
        var set = new LabeledImages(IdxReader.ReadImages(file, "set"), new int[500]);
        var batches = new ShuffledBatches(set.Count, 7);
        int[] indices = new int[64];
        var inputs = new float[64 * 784];
        int[] labels = new int[64];
        batches.Next(indices);
        set.CopyBatch(indices, inputs, labels);
        set.CopyRange(0, inputs, labels);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            batches.Next(indices);
            set.CopyBatch(indices, inputs, labels);
            set.CopyRange(i * 64, inputs, labels);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_bundled_training_images_take_a_third_of_their_bytes()
    {
        var train = MnistDirectory.Load(RepositoryPaths.BundledMnist, DatasetSplit.Train, ChecksumPolicy.Require);
        Assert.Equal(60_000, train.Count);

        // 47,040,000 pixel bytes; about 19 % of MNIST's pixels are not zero.
        Assert.InRange(train.Images.StoredBytes, 14_000_000, 17_500_000);
    }

    [Fact]
    public void Training_and_evaluating_on_bytes_gives_the_bits_of_training_on_floats()
    {
        // The first 600 bundled MNIST test images, held both ways: as IdxReader now holds them and as floats made the
        // way the reader used to make them. Same seed, same batches: every weight must match to the bit.
        const int count = 600;
        byte[] file;
        using (var gzip = new GZipStream(File.OpenRead(Path.Combine(RepositoryPaths.BundledMnist, "t10k-images-idx3-ubyte.gz")), CompressionMode.Decompress))
        using (var raw = new MemoryStream())
        {
            gzip.CopyTo(raw);
            file = raw.ToArray();
        }

        var all = MnistDirectory.Load(RepositoryPaths.BundledMnist, DatasetSplit.Test, ChecksumPolicy.Require);
        int[] labels = all.Labels.AsSpan(0, count).ToArray();
        var bytes = new LabeledImages(new ImageSet(count, 28, 28, file.AsSpan(16, count * 784).ToArray()), labels);
        var floats = new LabeledImages(new ImageSet(count, 28, 28, AsTheFloatReaderDid(file.AsSpan(16, count * 784))), labels);
        Assert.Equal(Bits(floats.Images.ToFloats(0, count)), Bits(all.Images.ToFloats(0, count)));

        var settings = new RecipeSettings
        {
            Model = new LstmConfig(28, 32, 2, 10, 28),
            Iterations = 12,
            BatchSize = 64,
            ReportEvery = 4,
            Seed = 1,
            Threads = 2,
        };
        (int[] Weights, List<double> Reports, EvaluationResult Test) Train(LabeledImages set)
        {
            using var trainer = new RecipeTrainer(settings, set);
            var reports = new List<double>();
            trainer.Reported = r => reports.Add(r.Accuracy);
            Assert.Equal(TrainingOutcome.Completed, trainer.Run());
            return (Bits(trainer.Model.Parameters), reports, trainer.Evaluate(set));
        }

        var fromBytes = Train(bytes);
        var fromFloats = Train(floats);
        Assert.Equal(fromFloats.Weights, fromBytes.Weights);
        Assert.Equal(fromFloats.Reports, fromBytes.Reports);
        Assert.Equal(fromFloats.Test.Correct, fromBytes.Test.Correct);
        Assert.NotEqual(Bits(LstmModel.Create(settings.Model, settings.Seed).Parameters), fromBytes.Weights);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_header_needing_more_than_the_budget_is_refused_before_allocating_with_the_size_it_needs(bool gzip)
    {
        // 100,000 images of 28×28 stated, 78.4 MB, against a 1 MiB budget; the payload present is 1000 bytes.
        byte[] raw = IdxBuilder.Raw(IdxReader.ImagesMagic, [100_000, 28, 28], new byte[1000]);
        byte[] content = gzip ? IdxBuilder.Gzip(raw) : raw;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(content, "big", maxBytes: 1 << 20));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("big: size: 100000 images of 28×28 would need 79,200,000 bytes, more than the 1,048,576-byte limit", e.Message);
        Assert.True(allocated < 512 << 10, $"allocated {allocated} bytes");

        // At the budget exactly (each pixel byte and each image's 8-byte place) it is read: here found truncated.
        byte[] fits = IdxBuilder.Raw(IdxReader.ImagesMagic, [1337, 28, 28], new byte[1000]);
        var truncated = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(gzip ? IdxBuilder.Gzip(fits) : fits, "fits", maxBytes: 1337 * (784 + 8)));
        Assert.Equal("fits: pixel data (1337 images of 28×28): expected 1048208 bytes, found 1000 (file truncated)", truncated.Message);
    }
}
