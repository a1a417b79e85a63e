using System.Xml.Linq;
using EdgeLstm.IO;

namespace EdgeLstm.Tests.Cli;

public class EndToEndTests
{
    [Fact]
    public void Train_then_evaluate_predict_and_inspect_a_saved_model()
    {
        using var cli = new CliHarness();
        string model = cli.File("model.safetensors");

        var train = cli.TrainSmall(model);
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("train epoch 0 train iteration 0 train accur ", train.Out, StringComparison.Ordinal);
        Assert.Contains("120 training and 40 test images of 28×28", train.Out, StringComparison.Ordinal);
        Assert.Matches(@"test accur [0-9.]+  \(\d+ of 40 test images\)", train.Out);
        Assert.Contains("wall time ", train.Out, StringComparison.Ordinal);
        Assert.Contains("iteration 12/12", train.Out, StringComparison.Ordinal);
        var saved = ModelFile.Load(model);
        Assert.Equal("12", saved.Metadata["train.iterations_done"]);
        Assert.Equal(8, saved.Model.Config.HiddenSize);

        var evaluate = cli.Run("evaluate", model, "--data", cli.DataDirectory);
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        Assert.Matches(@"test accuracy [0-9.]+ %  \(\d+ of 40 correct", evaluate.Out);
        Assert.Contains("true\\pred", evaluate.Out, StringComparison.Ordinal);
        Assert.Equal(11, evaluate.Out.Split('\n').Count(l => l.Contains('│', StringComparison.Ordinal)));

        var predict = cli.Run("predict", model, "--index", "3", "--data", cli.DataDirectory);
        Assert.True(predict.ExitCode == 0, predict.ToString());
        Assert.Contains("test image 3", predict.Out, StringComparison.Ordinal);
        Assert.Matches(@"class: \d  probability [01]\.\d{4}", predict.Out);
        Assert.Equal(10, predict.Out.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d  \s+[01]\.\d{4}")));

        string pgm = cli.File("digit.pgm");
        File.WriteAllText(pgm, "P2\n28 28\n255\n" + string.Join(' ', Enumerable.Range(0, 784).Select(i => i / 28 == 10 ? 255 : 0)));
        var predictPgm = cli.Run("predict", model, "--pgm", pgm);
        Assert.True(predictPgm.ExitCode == 0, predictPgm.ToString());
        Assert.Contains("digit.pgm (28×28)", predictPgm.Out, StringComparison.Ordinal);

        string svg = cli.File("steps.svg");
        var inspect = cli.Run("inspect", model, "--data", cli.DataDirectory, "--svg", svg);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("outputs: shape (28, 5, 8)", inspect.Out, StringComparison.Ordinal);
        Assert.Contains("state:   2 layers × (c, h), each (5, 8)", inspect.Out, StringComparison.Ordinal);
        Assert.Contains("last output vs top layer's h:  max |difference| = 0\n", inspect.Out.Replace("\r", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Matches(@"last output vs top layer's c:  max \|difference\| = [1-9.]", inspect.Out.Replace("= 0.", "= 1.", StringComparison.Ordinal));
        Assert.Contains("appears in no output", inspect.Out, StringComparison.Ordinal);
        Assert.Contains("Part 3: training image 4 (label 4)", inspect.Out, StringComparison.Ordinal);
        Assert.Equal(28, inspect.Out.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*\d+ │( [01]\.\d\d){10} │ \d")));

        var document = XDocument.Load(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", document.Root!.Name);
        var charts = document.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "step-chart").ToList();
        Assert.Equal(28, charts.Count);
        Assert.All(charts, c =>
        {
            Assert.Equal(10, c.Elements(ns + "rect").Count(r => ((string?)r.Attribute("class"))?.StartsWith("bar", StringComparison.Ordinal) == true));
            Assert.Single(c.Elements(ns + "rect"), r => ((string?)r.Attribute("class"))?.Contains("most-likely", StringComparison.Ordinal) == true);
        });
        Assert.Equal("step 28", charts[^1].Elements(ns + "text").First().Value);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_ends_with_exactly_the_weights_of_an_uninterrupted_run()
    {
        using var cli = new CliHarness();
        string full = cli.File("full.safetensors"), checkpoint = cli.File("c.safetensors"), resumed = cli.File("resumed.safetensors");
        var first = cli.TrainSmall(full, "--checkpoint-every", "5", "--checkpoint", checkpoint);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"checkpoint at iteration 10: {checkpoint}", first.Out, StringComparison.Ordinal);

        // The checkpoint holds iteration 10 (the last one written); resume runs 11 and 12 on two threads this time.
        var second = cli.Run("train", "--data", cli.DataDirectory, "--resume", checkpoint, "--threads", "2", "--out", resumed);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("resumed at iteration 10", second.Out, StringComparison.Ordinal);
        Assert.Equal(
            ModelFile.Load(full).Model.Parameters.ToArray(),
            ModelFile.Load(resumed).Model.Parameters.ToArray());
    }

    [Fact]
    public void Ctrl_c_writes_a_checkpoint_and_exits_cleanly()
    {
        using var cli = new CliHarness();
        using var interrupted = new CancellationTokenSource();
        interrupted.Cancel();
        string model = cli.File("m.safetensors");
        var run = cli.Run(interrupted.Token, "train", "--data", cli.DataDirectory, "--iterations", "5", "--hidden", "4", "--out", model);
        Assert.True(run.ExitCode == 130, run.ToString());
        string checkpoint = cli.File("m.checkpoint.safetensors");
        Assert.Contains($"interrupted at iteration 0/5; checkpoint saved to {checkpoint}", run.Out, StringComparison.Ordinal);
        Assert.Contains($"continue with: edgelstm train --resume {checkpoint}", run.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Error);
        Assert.False(File.Exists(model));

        var resume = cli.Run("train", "--data", cli.DataDirectory, "--resume", checkpoint, "--out", model);
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.True(File.Exists(model));
    }

    [Fact]
    public void Every_command_explains_its_options_with_their_defaults()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        var train = cli.Run("train", "--help");
        Assert.Equal(0, train.ExitCode);
        foreach (string expected in new[] { "--iterations <N>", "[default: 2000]", "--batch-size <N>", "[default: 64]", "[default: 256]", "--keep-prob <X>", "[default: 0.5]", "[default: 0.001]", "--epochs", "--seed", "--threads", "--out", "--checkpoint-every", "--resume", "--data" })
        {
            Assert.Contains(expected, train.Out, StringComparison.Ordinal);
        }

        foreach (string command in new[] { "evaluate", "predict", "inspect" })
        {
            var help = cli.Run(command, "--help");
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("MODEL", help.Out, StringComparison.Ordinal);
            Assert.Contains("--data", help.Out, StringComparison.Ordinal);
        }

        Assert.Contains("[default: 4]", cli.Run("inspect", "--help").Out, StringComparison.Ordinal);
        Assert.Contains("--svg <FILE>", cli.Run("inspect", "--help").Out, StringComparison.Ordinal);
        Assert.Contains("--pgm <FILE>", cli.Run("predict", "--help").Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, cli.Run("--help").Error);
    }
}
