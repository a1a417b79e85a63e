using System.IO.Compression;
using System.Runtime.InteropServices;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;
using EdgeLstm.Training;

namespace EdgeLstm.Tests.Data;

/// <summary>
/// IDX pixels are held as bytes and scaled when a batch is copied; these prove that gives exactly the floats (and so
/// the trained bits) of the reader that made floats up front, that chunk boundaries are invisible, and that a header
/// needing more than the budget is refused before the payload is allocated.
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

        // The test can tell: dividing by 255 instead of multiplying by 1/255 differs in the last bit for some bytes.
        Assert.Contains(all, b => BitConverter.SingleToInt32Bits(b / 255f) != BitConverter.SingleToInt32Bits(b * (1f / 255f)));
    }

    [Fact]
    public void Batches_that_cross_chunks_read_the_same_pixels_as_one_array()
    {
        // 28×28 images: 1337 to a 1 MiB chunk, so 3000 images make three chunks, the last one partial.
        const int count = 3000, side = 28, length = side * side;
        Assert.Equal(1337, ImageSet.ChunkBytes / length);
        byte[] file = IdxBuilder.Images(count, side, side, i => (byte)((i * 31) + (i / 997)));
        var chunked = IdxReader.ReadImages(IdxBuilder.Gzip(file), "chunked.gz");
        var whole = new ImageSet(count, side, side, file.AsSpan(16).ToArray());
        Assert.Equal((long)count * length, chunked.StoredBytes);

        // A range over both boundaries, single images on each side of them, and a shuffled batch.
        var range = new float[2000 * length];
        chunked.CopyImages(1000, 2000, range);
        Assert.Equal(Bits(AsTheFloatReaderDid(file.AsSpan(16 + (1000 * length), 2000 * length))), Bits(range));
        foreach (int index in new[] { 0, 1336, 1337, 2673, 2674, 2999 })
        {
            Assert.Equal(Bits(whole.Image(index)), Bits(chunked.Image(index)));
        }

        var labels = new int[count];
        var set = new LabeledImages(chunked, labels);
        int[] indices = [2999, 0, 1337, 1336, 2674, 5];
        var batch = new float[indices.Length * length];
        set.CopyBatch(indices, batch, new int[indices.Length]);
        for (int b = 0; b < indices.Length; b++)
        {
            Assert.Equal(Bits(whole.Image(indices[b])), Bits(batch.AsSpan(b * length, length)));
        }
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
        Assert.Equal("big: size: 100000 images of 28×28 would need 78,400,000 bytes, more than the 1,048,576-byte limit", e.Message);
        Assert.True(allocated < 256 << 10, $"allocated {allocated} bytes");

        // At the budget exactly it is read (here: found truncated, after one chunk at most).
        byte[] fits = IdxBuilder.Raw(IdxReader.ImagesMagic, [1337, 28, 28], new byte[1000]);
        var truncated = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(gzip ? IdxBuilder.Gzip(fits) : fits, "fits", maxBytes: 1337 * 784));
        Assert.Equal("fits: pixel data (1337 images of 28×28): expected 1048208 bytes, found 1000 (file truncated)", truncated.Message);
    }
}
