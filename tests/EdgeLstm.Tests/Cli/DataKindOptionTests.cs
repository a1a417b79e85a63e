namespace EdgeLstm.Tests.Cli;

/// <summary>
/// Every command with <c>--data</c> refuses an option for the other kind of data, saying why, instead of ignoring it:
/// a sequence file's options with MNIST images, an image's options with a sequence file. Usage errors (exit 2), found
/// before anything is read: the model named need not exist.
/// </summary>
public class DataKindOptionTests
{
    [Theory]
    [InlineData("--validation", "train", "--validation", "0.1")]
    [InlineData("--missing", "train", "--missing", "ffill")]
    [InlineData("--validation", "evaluate", "m.safetensors", "--validation", "0.5")]
    [InlineData("--target", "evaluate", "m.safetensors", "--target", "y")]
    [InlineData("--missing", "evaluate", "m.safetensors", "--missing", "drop")]
    [InlineData("--out", "predict", "m.safetensors", "--index", "0", "--out", "p.csv")]
    [InlineData("--missing", "predict", "m.safetensors", "--index", "0", "--missing", "drop")]
    [InlineData("--features", "predict", "m.safetensors", "--index", "0", "--features", "a")]
    [InlineData("--validation", "inspect", "m.safetensors", "--validation", "0.3")]
    [InlineData("--lengths", "inspect", "m.safetensors", "--lengths", "l.npy")]
    public void A_sequence_file_option_with_mnist_images_is_refused(string option, params string[] args)
    {
        using var cli = new CliHarness(train: 1, test: 1);
        var result = cli.Run([.. args, "--data", cli.DataDirectory]);
        CliAssert.Error(result, 2, $"error: {option} is for a sequence file (--data FILE.csv|.npy|.npz), not MNIST images.");
        Assert.Equal(string.Empty, result.Out);
    }

    [Theory]
    [InlineData("--invert", "with --data FILE every sequence of the file is predicted.", "predict", "m.safetensors", "--invert")]
    [InlineData("--index", "with --data FILE every sequence of the file is predicted.", "predict", "m.safetensors", "--index", "3")]
    [InlineData("--index", "with --data FILE the model is scored on the file's sequences (and --svg draws them).", "inspect", "m.safetensors", "--index", "3")]
    public void An_image_option_with_a_sequence_file_is_refused(string option, string why, params string[] args)
    {
        using var cli = new CliHarness(train: 1, test: 1);
        File.WriteAllText(cli.File("s.csv"), "id,a,y\ns0,1,0\n");
        var result = cli.Run([.. args, "--data", "s.csv"]);
        CliAssert.Error(result, 2, $"error: {option} is for MNIST images, not a sequence file: {why}");
        Assert.Equal(string.Empty, result.Out);
        Assert.False(File.Exists(cli.File("m.safetensors")));
    }
}
