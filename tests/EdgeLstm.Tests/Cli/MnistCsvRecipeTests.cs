using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using EdgeLstm.Data;
using EdgeLstm.IO;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// Issue 12: the MNIST recipe from a long-format CSV of the same images trains what the IDX path trains. Real MNIST
/// images (the first 300 training and 100 test images of the bundled set), written both as an IDX directory and as the
/// CSV <c>tools/mnist_to_csv.py</c> writes (one row per image row, pixels as byte × 1/255 in float32), trained through
/// the CLI both ways with the same options and seed.
/// </summary>
public class MnistCsvRecipeTests
{
    private const int TrainCount = 300, TestCount = 100, Side = 28;

    // The recipe's options at a small size: 2 layers, dropout, and 25 batches of 32 go round the 300 images 2.7 times,
    // so batches cross the ends of epochs.
    private static readonly string[] Recipe = ["--hidden", "16", "--layers", "2", "--keep-prob", "0.5", "--batch-size", "32", "--lr", "0.001", "--iterations", "25", "--seed", "7", "--threads", "1"];

    private static readonly string[] CsvColumns = ["--id", "image", "--time", "row", "--target", "label", "--task", "classify"];

    private static readonly string[] AsTheRecipe = ["--validation", "0", "--normalize", "none", "--batches", "recipe"];

    [Fact]
    public void The_recipe_from_mnist_as_a_long_format_csv_trains_the_idx_paths_weights_bit_for_bit_and_scores_the_same()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        var (trainImages, trainLabels) = ReadBundled("train", TrainCount);
        var (testImages, testLabels) = ReadBundled("t10k", TestCount);
        string idx = cli.File("subset");
        Directory.CreateDirectory(idx);
        File.WriteAllBytes(Path.Combine(idx, "train-images-idx3-ubyte"), IdxBuilder.Raw(0x803, [TrainCount, Side, Side], trainImages));
        File.WriteAllBytes(Path.Combine(idx, "train-labels-idx1-ubyte"), IdxBuilder.Raw(0x801, [TrainCount], trainLabels));
        File.WriteAllBytes(Path.Combine(idx, "t10k-images-idx3-ubyte"), IdxBuilder.Raw(0x803, [TestCount, Side, Side], testImages));
        File.WriteAllBytes(Path.Combine(idx, "t10k-labels-idx1-ubyte"), IdxBuilder.Raw(0x801, [TestCount], testLabels));
        File.WriteAllText(cli.File("train.csv"), LongFormatCsv(trainImages, trainLabels));
        File.WriteAllText(cli.File("test.csv"), LongFormatCsv(testImages, testLabels));

        var fromIdx = cli.Run([.. new[] { "train", "--data", "subset", "--out", "idx.safetensors" }, .. Recipe]);
        Assert.True(fromIdx.ExitCode == 0, fromIdx.ToString());
        var fromCsv = cli.Run([.. new[] { "train", "--data", "train.csv", "--out", "csv.safetensors" }, .. CsvColumns, .. AsTheRecipe, .. Recipe]);
        Assert.True(fromCsv.ExitCode == 0, fromCsv.ToString());
        Assert.Contains("300 training and 0 validation sequences", fromCsv.Out, StringComparison.Ordinal);
        Assert.Contains("25 iterations (2.67 epochs, the recipe's batches)", fromCsv.Out, StringComparison.Ordinal);

        var idxModel = ModelFile.Load(cli.File("idx.safetensors")).Model;
        var csvModel = ModelFile.Load(cli.File("csv.safetensors")).Model;
        Assert.Equal(idxModel.Config with { Head = csvModel.Config.Head }, csvModel.Config);
        Assert.Null(csvModel.Preprocessing!.Inputs);
        Assert.Equal(Bits(idxModel.Parameters.ToArray()), Bits(csvModel.Parameters.ToArray()));
        var untrained = EdgeLstm.Model.LstmModel.Create(idxModel.Config, 7);
        Assert.NotEqual(Bits(untrained.Parameters.ToArray()), Bits(idxModel.Parameters.ToArray()));

        // The same test images scored through each path's own reader and evaluator.
        var idxScore = cli.Run("evaluate", "idx.safetensors", "--data", "subset", "--threads", "1");
        Assert.True(idxScore.ExitCode == 0, idxScore.ToString());
        var csvScore = cli.Run("evaluate", "csv.safetensors", "--data", "test.csv", "--id", "image", "--time", "row", "--target", "label", "--threads", "1");
        Assert.True(csvScore.ExitCode == 0, csvScore.ToString());
        var correct = Correct(idxScore.Out);
        Assert.Equal(TestCount, correct.Total);
        Assert.Equal(correct, Correct(csvScore.Out));
        Assert.Contains(Invariant($"test accur {correct.Count / (double)TestCount:G6}  ({correct.Count} of {TestCount} test images)"), fromIdx.Out, StringComparison.Ordinal);

        // Each option is needed: without it the run is another one.
        foreach (string[] other in new[] { ["--validation", "0", "--normalize", "none"], new[] { "--validation", "0", "--batches", "recipe" } })
        {
            var run = cli.Run([.. new[] { "train", "--data", "train.csv", "--out", "other.safetensors" }, .. CsvColumns, .. other, .. Recipe]);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.NotEqual(Bits(idxModel.Parameters.ToArray()), Bits(ModelFile.Load(cli.File("other.safetensors")).Model.Parameters.ToArray()));
        }

        // The options describe a sequence file; on the IDX path they would do nothing, so they are refused.
        foreach (string option in new[] { "--normalize", "--batches" })
        {
            var refused = cli.Run("train", "--data", "subset", option, option == "--batches" ? "recipe" : "none");
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.Contains($"{option} is for a sequence file", refused.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_pixel_value_as_the_csv_writes_it_reads_back_as_the_float_the_idx_path_computes()
    {
        for (int b = 0; b < 256; b++)
        {
            float pixel = b * ImageSet.ByteScale;
            Assert.Equal(BitConverter.SingleToUInt32Bits(pixel), BitConverter.SingleToUInt32Bits((float)double.Parse(Pixel((byte)b), CultureInfo.InvariantCulture)));
        }

        Assert.Equal(["0", "0.003921569", "1"], new[] { Pixel(0), Pixel(1), Pixel(255) });
    }

    /// <summary>What tools/mnist_to_csv.py writes: header image,row,p0…p27,label; one row per image row.</summary>
    private static string LongFormatCsv(byte[] images, byte[] labels)
    {
        var text = new StringBuilder("image,row,").AppendJoin(',', Enumerable.Range(0, Side).Select(c => "p" + c.ToString(CultureInfo.InvariantCulture))).Append(",label\n");
        for (int n = 0; n < labels.Length; n++)
        {
            for (int r = 0; r < Side; r++)
            {
                text.Append(Invariant($"{n},{r},"));
                text.AppendJoin(',', images.AsSpan(((n * Side) + r) * Side, Side).ToArray().Select(Pixel));
                text.Append(Invariant($",{labels[n]}\n"));
            }
        }

        return text.ToString();
    }

    /// <summary>A pixel as the IDX path computes it (byte × 1/255 in float32), in the shortest text that reads back as that float.</summary>
    private static string Pixel(byte value) => (value * ImageSet.ByteScale).ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The first <paramref name="count"/> images and labels of a bundled MNIST split, as the files hold them.</summary>
    private static (byte[] Images, byte[] Labels) ReadBundled(string prefix, int count)
    {
        byte[] Read(string name, int header, int bytes)
        {
            using var gzip = new GZipStream(File.OpenRead(Path.Combine(RepositoryPaths.BundledMnist, name)), CompressionMode.Decompress);
            var content = new byte[header + bytes];
            gzip.ReadExactly(content);
            return content[header..];
        }

        var images = Read($"{prefix}-images-idx3-ubyte.gz", 16, count * Side * Side);
        var labels = Read($"{prefix}-labels-idx1-ubyte.gz", 8, count);
        Assert.Equal(10, labels.Distinct().Count());
        return (images, labels);
    }

    private static (int Count, int Total) Correct(string output)
    {
        var match = Regex.Match(output, @"\((\d+) of (\d+) correct");
        Assert.True(match.Success, output);
        return (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static uint[] Bits(float[] values) => MemoryMarshal.Cast<float, uint>(values).ToArray();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
