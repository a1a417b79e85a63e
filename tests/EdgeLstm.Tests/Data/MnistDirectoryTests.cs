using EdgeLstm.Data;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Data;

public class MnistDirectoryTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Loads_both_splits_of_a_directory_gzipped_or_raw(bool gzip)
    {
        using var dir = new TempDirectory();
        IdxBuilder.WriteDataset(dir.Path, train: 30, test: 20, gzip: gzip, checksums: true);
        Assert.True(MnistDirectory.IsComplete(dir.Path));
        var train = MnistDirectory.Load(dir.Path, DatasetSplit.Train, ChecksumPolicy.Require);
        var test = MnistDirectory.Load(dir.Path, DatasetSplit.Test);
        Assert.Equal(30, train.Count);
        Assert.Equal(20, test.Count);
        Assert.Equal(28, train.Images.Rows);
        Assert.Equal(3, test.Labels[13]);
    }

    [Fact]
    public void Image_and_label_counts_must_match()
    {
        using var dir = new TempDirectory();
        IdxBuilder.WriteDataset(dir.Path, train: 10, test: 10);
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte.gz"), IdxBuilder.Gzip(IdxBuilder.Labels(1, 2, 3)));
        var e = Assert.Throws<DataFormatException>(() => MnistDirectory.Load(dir.Path, DatasetSplit.Test));
        Assert.Equal($"{dir.File("t10k-labels-idx1-ubyte.gz")}: dimension 0 (label count): expected 10 labels, one per image of {dir.File("t10k-images-idx3-ubyte.gz")}, found 3", e.Message);
    }

    [Fact]
    public void A_missing_file_is_named_with_both_accepted_names()
    {
        using var dir = new TempDirectory();
        IdxBuilder.WriteDataset(dir.Path, train: 10, test: 10);
        File.Delete(dir.File("train-images-idx3-ubyte.gz"));
        Assert.False(MnistDirectory.IsComplete(dir.Path));
        var e = Assert.Throws<DataFormatException>(() => MnistDirectory.Load(dir.Path, DatasetSplit.Train));
        Assert.Equal($"{dir.File("train-images-idx3-ubyte.gz")}: file: expected train-images-idx3-ubyte.gz or train-images-idx3-ubyte in {dir.Path}, found neither", e.Message);
    }

    [Fact]
    public void A_file_that_does_not_match_its_md5_is_refused()
    {
        using var dir = new TempDirectory();
        IdxBuilder.WriteDataset(dir.Path, train: 10, test: 10, checksums: true);
        File.WriteAllBytes(dir.File("t10k-images-idx3-ubyte.gz"), IdxBuilder.Gzip(IdxBuilder.Images(10, 28, 28, i => 1)));
        var e = Assert.Throws<DataFormatException>(() => MnistDirectory.Load(dir.Path, DatasetSplit.Test));
        Assert.StartsWith($"{dir.File("t10k-images-idx3-ubyte.gz")}: MD5: expected ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("the file is damaged or not the original", e.Message, StringComparison.Ordinal);

        // Skipping the check reads it.
        Assert.Equal(10, MnistDirectory.Load(dir.Path, DatasetSplit.Test, ChecksumPolicy.Skip).Count);
    }

    [Fact]
    public void Required_checksums_must_exist()
    {
        using var dir = new TempDirectory();
        IdxBuilder.WriteDataset(dir.Path, train: 10, test: 10, checksums: false);
        var e = Assert.Throws<DataFormatException>(() => MnistDirectory.Load(dir.Path, DatasetSplit.Test, ChecksumPolicy.Require));
        Assert.Equal($"{dir.File("MD5SUMS")}: file: expected the checksum list of the bundled data set, found no file", e.Message);

        // Without a list, the default policy has nothing to check.
        Assert.Equal(10, MnistDirectory.Load(dir.Path, DatasetSplit.Test).Count);
    }

    [Fact]
    public void A_malformed_checksum_line_is_named()
    {
        using var dir = new TempDirectory();
        IdxBuilder.WriteDataset(dir.Path, train: 10, test: 10);
        File.WriteAllText(dir.File("MD5SUMS"), "# comment\nnot-a-digest  t10k-images-idx3-ubyte.gz\n");
        var e = Assert.Throws<DataFormatException>(() => MnistDirectory.Load(dir.Path, DatasetSplit.Test));
        Assert.Equal($"{dir.File("MD5SUMS")}: line 2: expected \"<32 hex digits>  <file name>\", found \"not-a-digest  t10k-images-idx3-ubyte.gz\"", e.Message);
    }

    [Fact]
    public void The_bundled_mnist_matches_its_checksums_and_is_the_real_test_set()
    {
        string dir = RepositoryPaths.BundledMnist;
        var test = MnistDirectory.Load(dir, DatasetSplit.Test, ChecksumPolicy.Require);
        Assert.Equal(10_000, test.Count);
        Assert.Equal((28, 28), (test.Images.Rows, test.Images.Columns));

        // The first test digits of MNIST are 7, 2, 1, 0, 4.
        Assert.Equal([7, 2, 1, 0, 4], test.Labels[..5]);
        // MNIST's published class counts of the test set.
        int[] counts = [.. Enumerable.Range(0, 10).Select(c => test.Labels.Count(l => l == c))];
        Assert.Equal([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], counts);
    }
}
