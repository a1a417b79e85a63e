using EdgeLstm.Cli;
using EdgeLstm.Data;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Cli;

public class BadInputTests
{
    private static void AssertError(CliResult result, int code, string message)
    {
        Assert.True(result.ExitCode == code, result.ToString());
        Assert.True(result.Error.Contains(message, StringComparison.Ordinal), $"expected \"{message}\" in:\n{result}");
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("train-images-idx3-ubyte.gz", "magic number: expected 0x00000803 (images), found 0x00000801 (a label file)")]
    [InlineData("train-labels-idx1-ubyte.gz", "label 2: expected a class from 0 to 9, found 10")]
    [InlineData("t10k-images-idx3-ubyte.gz", "pixel data (40 images of 28×28): expected 31360 bytes, found 4984 (file truncated)")]
    [InlineData("t10k-labels-idx1-ubyte.gz", "dimension 0 (label count): expected 40 labels, one per image of")]
    public void A_bad_data_file_gets_one_line_naming_it_and_exit_code_1(string file, string problem)
    {
        using var cli = new CliHarness();
        string path = Path.Combine(cli.DataDirectory, file);
        byte[] bad = file switch
        {
            "train-images-idx3-ubyte.gz" => IdxBuilder.Gzip(IdxBuilder.Labels(1, 2)),
            "train-labels-idx1-ubyte.gz" => IdxBuilder.Gzip(IdxBuilder.Labels([.. Enumerable.Range(0, 120).Select(i => (byte)(i == 2 ? 10 : 1))])),
            "t10k-images-idx3-ubyte.gz" => IdxBuilder.Gzip(IdxBuilder.Images(40, 28, 28)[..5000]),
            _ => IdxBuilder.Gzip(IdxBuilder.Labels(1, 2, 3)),
        };
        File.WriteAllBytes(path, bad);
        var result = cli.TrainSmall(cli.File("m.safetensors"));
        AssertError(result, 1, $"error: {path}: {problem}");
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public void A_file_that_fails_its_md5_is_refused()
    {
        using var cli = new CliHarness();
        IdxBuilder.WriteDataset(cli.DataDirectory, 120, 40, checksums: true);
        File.WriteAllBytes(Path.Combine(cli.DataDirectory, "train-labels-idx1-ubyte.gz"), IdxBuilder.Gzip(IdxBuilder.Labels([.. new byte[120]])));
        AssertError(cli.TrainSmall(cli.File("m.safetensors")), 1, "train-labels-idx1-ubyte.gz: MD5: expected ");
    }

    [Fact]
    public void A_data_directory_missing_a_file_is_named()
    {
        using var cli = new CliHarness();
        File.Delete(Path.Combine(cli.DataDirectory, "t10k-labels-idx1-ubyte.gz"));
        AssertError(cli.TrainSmall(cli.File("m.safetensors")), 1, $"error: {cli.DataDirectory} (from --data) is not a data set in the MNIST layout: missing t10k-labels-idx1-ubyte[.gz].");
    }

    [Fact]
    public void No_data_anywhere_says_where_it_looked_and_how_to_get_it()
    {
        using var cli = new CliHarness();
        var result = cli.Run("train", "--iterations", "1");
        AssertError(result, 1, "error: no data set found. Looked in:");
        Assert.Contains(Path.Combine(cli.Directory, "data", "mnist"), result.Error, StringComparison.Ordinal);
        Assert.Contains("$EDGELSTM_DATA", result.Error, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_variable_points_at_the_data()
    {
        using var cli = new CliHarness();
        cli.Environment["EDGELSTM_DATA"] = cli.DataDirectory;
        var result = cli.Run("train", "--iterations", "2", "--hidden", "4", "--out", cli.File("m.safetensors"));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"data: {cli.DataDirectory} (from EDGELSTM_DATA)", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bundled_mnist_is_found_from_inside_the_repository_and_must_match_its_checksums()
    {
        using var output = new StringWriter();
        var context = new CliContext
        {
            Out = output,
            Error = output,
            Environment = _ => null,
            CurrentDirectory = Path.Combine(RepositoryPaths.Root, "src"),
            BaseDirectory = Path.GetTempPath(),
        };
        var location = DataLocator.Find(null, context);
        Assert.Equal(RepositoryPaths.BundledMnist, location.Directory);
        Assert.Equal(ChecksumPolicy.Require, location.Checksums);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("lying")]
    [InlineData("missing")]
    [InlineData("garbage")]
    public void A_bad_model_file_gets_one_line_and_exit_code_1(string kind)
    {
        using var cli = new CliHarness();
        string model = cli.File("m.safetensors");
        Assert.Equal(0, cli.TrainSmall(model).ExitCode);
        byte[] bytes = File.ReadAllBytes(model);
        string expected;
        switch (kind)
        {
            case "truncated":
                File.WriteAllBytes(model, bytes[..(bytes.Length - 100)]);
                expected = $"error: {model}: tensor fc.weight: data_offsets: expected a range inside the ";
                break;
            case "lying":
                BitConverter.GetBytes(1_000_000L).CopyTo(bytes, 0);
                File.WriteAllBytes(model, bytes);
                expected = $"error: {model}: header length: says 1000000 bytes but only {bytes.Length - 8} follow";
                break;
            case "missing":
                File.Delete(model);
                expected = $"error: Could not find file '{model}'.";
                break;
            default:
                File.WriteAllText(model, "not a model at all");
                expected = $"error: {model}: header length: expected at most 100000000 bytes, found ";
                break;
        }

        foreach (var args in new[] { new[] { "evaluate", model }, ["predict", model, "--index", "0"], ["inspect", model] })
        {
            AssertError(cli.Run([.. args, "--data", cli.DataDirectory]), 1, expected);
        }
    }

    [Theory]
    [InlineData("train --bogus", "error: Unrecognized command or argument '--bogus'.")]
    [InlineData("train --keep-prob 0", "error: --keep-prob must be at least 0.01 and at most 1; got 0.")]
    [InlineData("train --lr -1", "error: --lr must be above 0 and at most 1; got -1.")]
    [InlineData("train --batch-size x", "error: Cannot parse argument 'x' for option '--batch-size'")]
    [InlineData("train --iterations 5 --epochs 2", "error: --iterations and --epochs are alternatives; give one.")]
    [InlineData("train --resume c.safetensors --hidden 3", "error: --hidden cannot be changed with --resume: the checkpoint's value is used.")]
    [InlineData("predict m.safetensors", "error: give exactly one of --index N (a test image) and --pgm FILE.")]
    [InlineData("predict m.safetensors --index -1", "error: --index must be 0 or more.")]
    [InlineData("evaluate", "error: Required argument missing for command: 'evaluate'.")]
    [InlineData("inspect m.safetensors --index -2", "error: --index must be from 0 to 2147483647; got -2.")]
    [InlineData("", "error: Required command was not provided.")]
    [InlineData("train --lr 0.001 --lr-final 0.01", "error: --lr-final (0.01) must not exceed --lr (0.001).")]
    [InlineData("train --lr-final 0", "error: --lr-final must be above 0 and at most 1.")]
    public void A_wrong_command_line_is_a_usage_error_with_exit_code_2(string commandLine, string message)
    {
        using var cli = new CliHarness(train: 1, test: 1);
        var result = cli.Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        AssertError(result, 2, message);
        Assert.Contains("--help' for the options.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_problems_with_valid_options_are_exit_code_1()
    {
        using var cli = new CliHarness();
        string model = cli.File("m.safetensors");
        Assert.Equal(0, cli.TrainSmall(model).ExitCode);
        AssertError(cli.Run("predict", model, "--index", "40", "--data", cli.DataDirectory), 1, "error: --index 40: the test set has images 0 to 39.");
        AssertError(cli.Run("inspect", model, "--index", "500", "--data", cli.DataDirectory), 1, "error: --index 500: the training set has images 0 to 119.");

        string pgm = cli.File("small.pgm");
        File.WriteAllText(pgm, "P2 4 4 255\n" + string.Join(' ', new int[16]));
        AssertError(cli.Run("predict", model, "--pgm", pgm), 1, $"error: {pgm}: the model reads 28×28 images; this one is 4×4.");
        File.WriteAllText(pgm, "P7 4 4 255\n");
        AssertError(cli.Run("predict", model, "--pgm", pgm), 1, $"error: {pgm}: magic number: expected P5 (binary PGM) or P2 (ASCII PGM), found \"P7\"");

        AssertError(cli.Run("train", "--data", cli.DataDirectory, "--resume", model), 1, $"error: {model}: __metadata__.kind: expected \"checkpoint\"");
    }
}
