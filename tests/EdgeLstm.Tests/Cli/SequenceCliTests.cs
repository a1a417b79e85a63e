using System.Globalization;
using System.IO.Compression;
using System.Text;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.Data.Sequences;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// <c>train</c>, <c>evaluate</c> and <c>predict</c> with <c>--data FILE</c> end to end through the CLI's code path:
/// long-format CSV with per-step labels and lengths 3 to 40, a forecast of one series, NumPy <c>.npz</c>, and bad input.
/// </summary>
public class SequenceCliTests
{
    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Sequences of 3 to 40 steps, two features; each step's label says whether its first feature is above the
    /// second ("up") or not ("down"): learnable from the step itself, so a short run must get it right.
    /// </summary>
    private static (string Csv, int Steps, int MinLength, int MaxLength) PerStepCsv(int sequences, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("sensor,t,a,b,state\n");
        int steps = 0, min = int.MaxValue, max = 0;
        for (int s = 0; s < sequences; s++)
        {
            int length = s == 0 ? 3 : s == 1 ? 40 : random.Next(3, 41);
            min = Math.Min(min, length);
            max = Math.Max(max, length);
            for (int t = 0; t < length; t++)
            {
                double a = (random.NextDouble() * 200) + 1000, b = (random.NextDouble() * 200) + 1000; // raw readings far from 0
                text.Append(Invariant($"s{s},{t},{a:0.###},{b:0.###},{(a > b ? "up" : "down")}\n"));
                steps++;
            }
        }

        return (text.ToString(), steps, min, max);
    }

    [Fact]
    public void Per_step_labels_on_sequences_of_3_to_40_steps_train_evaluate_and_predict_from_a_long_format_csv()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        var (csv, _, min, max) = PerStepCsv(200, 1);
        Assert.Equal((3, 40), (min, max));
        File.WriteAllText(cli.File("steps.csv"), csv);
        var train = cli.Run("train", "--data", "steps.csv", "--id", "sensor", "--time", "t", "--target", "state", "--hidden", "16", "--epochs", "12", "--batch-size", "16", "--lr", "0.01", "--threads", "1", "--out", "steps.safetensors");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("200 sequences of 3–40 steps × 2 features, a class per step (2 classes: down, up)", train.Out, StringComparison.Ordinal);
        Assert.Contains("160 training and 40 validation sequences", train.Out, StringComparison.Ordinal);
        Assert.Equal(12, train.Out.Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal) && l.Contains("validation accuracy", StringComparison.Ordinal)));

        var loaded = ModelFile.Load(cli.File("steps.safetensors"));
        Assert.Equal(HeadKind.ClassifyEveryStep, loaded.Model.Config.Head);
        Assert.Equal(["down", "up"], loaded.Model.Preprocessing!.ClassNames!);
        Assert.Equal(["a", "b"], loaded.Model.Preprocessing.FeatureNames!);
        Assert.True(loaded.Model.Preprocessing.Inputs!.Mean[0] > 1000, "the statistics are of the raw readings");

        // New data, raw readings: the model's own normalisation applies (no --features needed: the model knows its columns).
        var (fresh, freshSteps, _, _) = PerStepCsv(50, 2);
        File.WriteAllText(cli.File("fresh.csv"), fresh);
        var evaluate = cli.Run("evaluate", "steps.safetensors", "--data", "fresh.csv", "--id", "sensor", "--time", "t", "--target", "state", "--threads", "1");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        var accuracyLine = evaluate.Out.Split('\n').Single(l => l.StartsWith("test accuracy", StringComparison.Ordinal));
        Assert.Contains(Invariant($"of {freshSteps} correct"), accuracyLine, StringComparison.Ordinal);
        double accuracy = double.Parse(accuracyLine.Split(' ')[2].TrimEnd('%'), CultureInfo.InvariantCulture) / 100;
        Assert.True(accuracy > 0.9, evaluate.Out);
        Assert.Contains("classes: 0 = down, 1 = up", evaluate.Out, StringComparison.Ordinal);

        var predict = cli.Run("predict", "steps.safetensors", "--data", "fresh.csv", "--id", "sensor", "--time", "t", "--threads", "1", "--out", "predictions.csv");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        string[] rows = File.ReadAllLines(cli.File("predictions.csv"));
        Assert.Equal("id,step,prediction,p_down,p_up", rows[0]);
        Assert.Equal(freshSteps, rows.Length - 1);
        string[] freshRows = fresh.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        int right = 0;
        for (int i = 0; i < freshSteps; i++)
        {
            string[] p = rows[i + 1].Split(','), f = freshRows[i].Split(',');
            Assert.Equal((f[0], f[1]), (p[0], p[1]));
            Assert.Equal(1.0, double.Parse(p[3], CultureInfo.InvariantCulture) + double.Parse(p[4], CultureInfo.InvariantCulture), 4);
            right += p[2] == f[4] ? 1 : 0;
        }

        Assert.Equal(accuracyLine, Invariant($"test accuracy {(double)right / freshSteps:P2}  ({right} of {freshSteps} correct)"));
    }

    [Fact]
    public void A_trending_series_is_forecast_relative_to_its_last_value_and_beats_the_naive_forecast()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        var text = new StringBuilder("date,level\n");
        var random = new Random(3);
        var day = new DateOnly(1990, 1, 6);
        for (int t = 0; t < 600; t++, day = day.AddDays(7))
        {
            double level = 300 + (0.05 * t) + (3 * Math.Sin(2 * Math.PI * t / 52)) + (0.1 * random.NextDouble());
            text.Append(Invariant($"{day:yyyy-MM-dd},{(t == 100 ? string.Empty : level.ToString("0.###", CultureInfo.InvariantCulture))}\n"));
        }

        File.WriteAllText(cli.File("series.csv"), text.ToString());
        var refused = cli.Run("train", "--data", "series.csv", "--window", "26", "--out", "f.safetensors");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("series.csv: line 102, column 'level' (index 1): expected a value, found an empty field", refused.Error, StringComparison.Ordinal);

        var train = cli.Run("train", "--data", "series.csv", "--window", "26", "--horizon", "2", "--missing", "ffill", "--hidden", "16", "--epochs", "8", "--lr", "0.005", "--threads", "1", "--early-stop", "3", "--out", "f.safetensors");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("forecasting the change from each window's last value", train.Out, StringComparison.Ordinal);
        var model = ModelFile.Load(cli.File("f.safetensors")).Model;
        Assert.Equal((26, 2, true), (model.Preprocessing!.Forecast!.Window, model.Preprocessing.Forecast.Horizon, model.Preprocessing.Forecast.RelativeToLast));

        var evaluate = cli.Run("evaluate", "f.safetensors", "--data", "series.csv", "--missing", "ffill", "--threads", "1");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        string ratio = evaluate.Out.Split('\n').Single(l => l.Contains("naive: last value", StringComparison.Ordinal)).Split('=')[^1];
        Assert.Contains("naive: training mean MAE", evaluate.Out, StringComparison.Ordinal); // the model file's train.target_mean, read back
        Assert.True(double.Parse(ratio, CultureInfo.InvariantCulture) < 1, evaluate.Out);

        var predict = cli.Run("predict", "f.safetensors", "--data", "series.csv", "--missing", "ffill", "--out", "next.csv");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        string[] rows = File.ReadAllLines(cli.File("next.csv"));
        string last = Invariant($"{new DateOnly(1990, 1, 6).AddDays(7 * 599):yyyy-MM-dd}");
        Assert.Equal(3, rows.Length);
        Assert.Equal("after,steps_ahead,level", rows[0]);
        Assert.StartsWith(last + ",1,", rows[1], StringComparison.Ordinal);
        Assert.StartsWith(last + ",2,", rows[2], StringComparison.Ordinal);
        double next = double.Parse(rows[1].Split(',')[2], CultureInfo.InvariantCulture);
        Assert.InRange(next, 320, 340); // in ppm-like units near the series' end (≈ 330), not the network's

        var inspect = cli.Run("inspect", "f.safetensors", "--data", "series.csv", "--missing", "ffill", "--svg", "forecast.svg");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        string svg = File.ReadAllText(cli.File("forecast.svg"));
        Assert.StartsWith("<svg ", svg, StringComparison.Ordinal);
        Assert.EndsWith("</svg>\n", svg, StringComparison.Ordinal);
        int windows = int.Parse(inspect.Out.Split('\n').Single(l => l.StartsWith("data:", StringComparison.Ordinal)).Split(' ')[^2], CultureInfo.InvariantCulture);
        foreach (string line in new[] { "actual", "predicted" })
        {
            string points = svg.Split('\n').Single(l => l.Contains($"id=\"{line}\"", StringComparison.Ordinal));
            Assert.Equal(windows, points.Split("points=\"")[1].TrimEnd('"', '/', '>').Split(' ').Length);
        }
    }

    /// <summary>
    /// Predicting reads only the last window: a series of exactly <c>window</c> steps is enough, though scoring it would
    /// need <c>horizon</c> more; a shorter one is refused naming the file and both lengths.
    /// </summary>
    [Fact]
    public void Predict_forecasts_from_a_series_of_exactly_one_window_and_refuses_a_shorter_one()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        static string Series(int steps) => "date,level\n" + string.Concat(Enumerable.Range(0, steps).Select(t => Invariant($"{new DateOnly(2000, 1, 1).AddDays(t):yyyy-MM-dd},{10 + Math.Sin(t / 3.0):0.###}\n")));
        File.WriteAllText(cli.File("long.csv"), Series(80));
        var train = cli.Run("train", "--data", "long.csv", "--window", "6", "--horizon", "3", "--hidden", "4", "--epochs", "1", "--threads", "1", "--out", "f.safetensors");
        Assert.True(train.ExitCode == 0, train.ToString());

        File.WriteAllText(cli.File("six.csv"), Series(6));
        var predict = cli.Run("predict", "f.safetensors", "--data", "six.csv", "--threads", "1");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        string[] rows = predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, rows.Length);
        Assert.Equal("after,steps_ahead,level", rows[0]);
        for (int h = 1; h <= 3; h++)
        {
            string[] fields = rows[h].Split(',');
            Assert.Equal(("2000-01-06", Invariant($"{h}")), (fields[0], fields[1]));
            Assert.True(float.IsFinite(float.Parse(fields[2], CultureInfo.InvariantCulture)), rows[h]);
        }

        File.WriteAllText(cli.File("five.csv"), Series(5));
        var shorter = cli.Run("predict", "f.safetensors", "--data", "five.csv", "--threads", "1", "--out", "p.csv");
        CliAssert.Error(shorter, 1, $"error: {cli.File("five.csv")}: the model reads windows of 6 steps; the series has 5.");
        Assert.False(File.Exists(cli.File("p.csv")));
    }

    /// <summary>
    /// A file with a sequence longer than the engine reads (65,536 steps) is refused by evaluate, predict and inspect
    /// naming the file and both lengths, before anything of that length is allocated: not an unexpected error.
    /// </summary>
    [Fact]
    public void A_sequence_past_the_engine_s_limit_is_one_clear_error()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        File.WriteAllText(cli.File("short.csv"), "id,a,y\n" + string.Concat(Enumerable.Range(0, 40).Select(i => Invariant($"s{i / 4},{i % 7},{i / 4 % 2 * 0.5}\n"))));
        var train = cli.Run("train", "--data", "short.csv", "--target", "y", "--task", "regress", "--validation", "0", "--hidden", "4", "--epochs", "1", "--threads", "1", "--out", "m.safetensors");
        Assert.True(train.ExitCode == 0, train.ToString());

        var text = new StringBuilder("id,a,y\n");
        for (int t = 0; t <= ModelLimits.MaxSteps; t++)
        {
            text.Append("long,1,0.5\n");
        }

        File.WriteAllText(cli.File("long.csv"), text.Append("short,2,0\n").ToString());
        string expected = $"error: {cli.File("long.csv")}: the longest sequence has 65,537 steps; the engine reads at most 65,536 steps per sequence (split it into shorter ones).";
        CliAssert.Error(cli.Run("evaluate", "m.safetensors", "--data", "long.csv", "--target", "y", "--threads", "1"), 1, expected);
        CliAssert.Error(cli.Run("inspect", "m.safetensors", "--data", "long.csv", "--target", "y", "--threads", "1"), 1, expected);
        var predict = cli.Run("predict", "m.safetensors", "--data", "long.csv", "--threads", "1", "--out", "p.csv");
        CliAssert.Error(predict, 1, expected);
        Assert.False(File.Exists(cli.File("p.csv")));
    }

    [Fact]
    public void An_npz_of_sequence_classes_trains_and_evaluates_with_lengths()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        const int N = 120, T = 10;
        var random = new Random(4);
        var x = new float[N * T];
        var y = new long[N];
        var lengths = new long[N];
        for (int n = 0; n < N; n++)
        {
            lengths[n] = random.Next(2, T + 1);
            y[n] = n % 2;
            for (int t = 0; t < lengths[n]; t++)
            {
                x[(n * T) + t] = (float)((y[n] == 1 ? 5 : -5) + random.NextDouble());
            }
        }

        File.WriteAllBytes(cli.File("d.npz"), NpyBytes.Zip(CompressionLevel.Fastest, ("X.npy", NpyBytes.Float32([N, T], x)), ("y.npy", NpyBytes.Int64([N], y)), ("lengths.npy", NpyBytes.Int64([N], lengths))));
        var train = cli.Run("train", "--data", "d.npz", "--hidden", "8", "--epochs", "5", "--lr", "0.01", "--threads", "1", "--cell", "gru", "--out", "n.safetensors");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("120 sequences of 2–10 steps × 1 features, a class per sequence (2 classes)", train.Out, StringComparison.Ordinal);
        var evaluate = cli.Run("evaluate", "n.safetensors", "--data", "d.npz", "--threads", "1");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        Assert.Contains("test accuracy 100.00 %  (120 of 120 correct)", evaluate.Out, StringComparison.Ordinal);

        // The same arrays as separate .npy files, named relative to the working directory.
        Directory.CreateDirectory(cli.File("npy"));
        File.WriteAllBytes(cli.File("npy/X.npy"), NpyBytes.Float32([N, T], x));
        File.WriteAllBytes(cli.File("npy/y.npy"), NpyBytes.Int64([N], y));
        File.WriteAllBytes(cli.File("npy/lengths.npy"), NpyBytes.Int64([N], lengths));
        var separate = cli.Run("evaluate", "n.safetensors", "--data", "npy/X.npy", "--target", "npy/y.npy", "--lengths", "npy/lengths.npy", "--threads", "1");
        Assert.True(separate.ExitCode == 0, separate.ToString());
        Assert.Contains("test accuracy 100.00 %  (120 of 120 correct)", separate.Out, StringComparison.Ordinal);
    }

    /// <summary>
    /// A sequence model whose weights overflow answers NaN: evaluate refuses to print an accuracy (NaN is not class 0),
    /// naming the model and how many answers were not finite.
    /// </summary>
    [Fact]
    public void Evaluate_refuses_a_sequence_model_whose_answers_are_not_finite()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        const int N = 20, T = 4;
        var x = Enumerable.Range(0, N * T).Select(i => (float)(i % 7)).ToArray();
        var y = Enumerable.Range(0, N).Select(n => (long)(n % 2)).ToArray();
        File.WriteAllBytes(cli.File("d.npz"), NpyBytes.Zip(CompressionLevel.Fastest, ("X.npy", NpyBytes.Float32([N, T], x)), ("y.npy", NpyBytes.Int64([N], y))));
        var train = cli.Run("train", "--data", "d.npz", "--hidden", "8", "--epochs", "1", "--threads", "1", "--out", "n.safetensors");
        Assert.True(train.ExitCode == 0, train.ToString());
        var loaded = ModelFile.Load(cli.File("n.safetensors"));
        Recipe.NonFiniteTrainingTests.FillAlternating(loaded.Model, 3e38f);
        ModelFile.Save(loaded.Model, cli.File("bad.safetensors"));

        var evaluate = cli.Run("evaluate", "bad.safetensors", "--data", "d.npz", "--threads", "1");
        CliAssert.Error(evaluate, 1, $"error: {cli.File("bad.safetensors")}: the class probabilities of 20 of 20 answers are not finite (NaN or infinity)");
        Assert.DoesNotContain("accuracy", evaluate.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "name the target column with --target", "train", "--data", "s.csv", "--out", "m.safetensors")]
    [InlineData(1, "s.csv: target column: expected a column named 'nope', found only 'sensor', 't', 'a', 'b', 'state'", "train", "--data", "s.csv", "--target", "nope", "--out", "m.safetensors")]
    [InlineData(2, "--window reads one time series from a .csv file", "train", "--data", "s.npz", "--window", "3", "--out", "m.safetensors")]
    [InlineData(2, "--window is for a sequence file", "train", "--window", "3", "--out", "m.safetensors")]
    [InlineData(1, "--out", "train", "--data", "s.csv", "--target", "state", "--out", "/dev/null")]
    public void Bad_sequence_input_is_one_line_before_any_training(int exit, string expected, params string[] args)
    {
        using var cli = new CliHarness(train: 1, test: 1);
        File.WriteAllText(cli.File("s.csv"), PerStepCsv(10, 5).Csv);
        File.WriteAllBytes(cli.File("s.npz"), NpyBytes.Zip(CompressionLevel.Fastest, ("X.npy", NpyBytes.Float32([2, 1], 1f, 2f))));
        var result = cli.Run(args);
        Assert.True(result.ExitCode == exit, result.ToString());
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Equal(exit == 2 ? 2 : 1, result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("epoch", result.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(cli.File("m.safetensors")));
    }
}
