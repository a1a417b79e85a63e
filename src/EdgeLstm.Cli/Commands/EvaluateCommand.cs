using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.IO;

namespace EdgeLstm.Cli.Commands;

/// <summary><c>edgelstm evaluate MODEL</c>: accuracy on the test images and the confusion matrix.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data();
        var threads = CommonOptions.Threads();
        var command = new Command("evaluate", "Classify every test image with MODEL; print the accuracy and the confusion matrix (rows: true class, columns: predicted). With --data FILE.csv|.npy|.npz: score the model on your sequences (accuracy and confusion with class names, or MAE and RMSE beside the naive forecasts: the last value and the training mean).")
        {
            model, data, threads,
        };
        // Your own sequences (--data FILE.csv|.npy|.npz): Sequences/SequenceCommands.cs.
        var sequence = Sequences.SequenceOptions.ForModel(context, evaluating: true);
        sequence.AddTo(command);
        DataKindOptions.Add(command, data, context, sequence.All, [], string.Empty);
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(data) is { } dataFile && Sequences.SequenceFile.Is(context.Resolve(dataFile)))
            {
                return Sequences.SequenceCommands.Evaluate(parsed, context, context.Resolve(parsed.GetValue(model)!), context.Resolve(parsed.GetValue(data)!), sequence, parsed.GetValue(threads));
            }

            string path = context.Resolve(parsed.GetValue(model)!);
            var loaded = ModelFile.Load(path);
            var location = DataLocator.Find(parsed.GetValue(data), context);
            var test = location.Load(DatasetSplit.Test);
            ModelCompatibility.Check(loaded.Model.Config, test, path);
            if (test.Count == 0)
            {
                throw new CliException($"{location.Directory}: the test set is empty (0 images): there is nothing to evaluate.");
            }
            // What is being evaluated comes first: on a large set the counting takes a while.
            var o = context.Out;
            o.WriteLine($"model: {path}");
            o.WriteLine($"data:  {location.Describe()}");
            using var predictor = new LstmPredictor(loaded.Model, parsed.GetValue(threads));

            // A model whose finite weights overflow answers NaN: refused on the first image before the long count, and
            // after it if any other image's answer was not finite (the count sets those apart rather than score them).
            var first = new float[loaded.Model.Config.Classes];
            predictor.Predict(test.Images.Image(0), 1, first);
            NonFiniteOutput.Check(first, path, loaded.Model, "the class probabilities of test image 0");
            var result = Evaluator.Evaluate(predictor, test);
            if (result.NonFinite > 0)
            {
                NonFiniteOutput.Refuse(path, loaded.Model, string.Create(CultureInfo.InvariantCulture, $"the class probabilities of {result.NonFinite} of {result.NonFinite + result.Total} test images"));
            }

            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy {result.Accuracy:P2}  ({result.Correct} of {result.Total} correct, {result.Total - result.Correct} wrong)"));
            o.WriteLine();
            o.Write(ConfusionTable(result));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The most classes the confusion matrix is drawn for; past it each class gets a line of its own.</summary>
    public const int MaxMatrixClasses = 32;

    /// <summary>
    /// The matrix with row totals and each class's recall, columns wide enough for the largest count, over the classes
    /// that occur as a label or a prediction. A model may have thousands of classes the data never uses; the text is
    /// kept proportional to what the data shows, and past <see cref="MaxMatrixClasses"/> classes only the per-class
    /// lines are printed (a matrix that wide reads as noise and, for 4096 classes, would be 100 MB of text).
    /// </summary>
    public static string ConfusionTable(EvaluationResult result)
    {
        int classes = result.Confusion.GetLength(0);
        var shown = new List<int>();
        for (int c = 0; c < classes; c++)
        {
            bool occurs = false;
            for (int other = 0; other < classes && !occurs; other++)
            {
                occurs = result.Confusion[c, other] != 0 || result.Confusion[other, c] != 0;
            }

            if (occurs)
            {
                shown.Add(c);
            }
        }

        var text = new StringBuilder();
        if (shown.Count > MaxMatrixClasses)
        {
            text.Append(CultureInfo.InvariantCulture, $"{shown.Count} classes occur (more than {MaxMatrixClasses}): per-class counts instead of the matrix").AppendLine();
            text.Append("class     total  recall").AppendLine();
            foreach (int t in shown)
            {
                int rowTotal = RowTotal(result, t);
                if (rowTotal > 0)
                {
                    text.Append(string.Create(CultureInfo.InvariantCulture, $"{t,5}  {rowTotal,8}  {(double)result.Confusion[t, t] / rowTotal,6:P1}")).AppendLine();
                }
            }

            return text.ToString();
        }

        if (shown.Count < classes)
        {
            text.Append(CultureInfo.InvariantCulture, $"(the {shown.Count} of the model's {classes} classes that occur as a label or a prediction)").AppendLine();
        }

        int width = Math.Max(5, result.Total.ToString(CultureInfo.InvariantCulture).Length + 1);
        text.Append("true\\pred".PadRight(10));
        foreach (int p in shown)
        {
            text.Append(p.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        }

        text.Append("  │ total  recall").AppendLine();
        foreach (int t in shown)
        {
            text.Append(("   " + t.ToString(CultureInfo.InvariantCulture)).PadRight(10));
            foreach (int p in shown)
            {
                int n = result.Confusion[t, p];
                text.Append((n == 0 ? "·" : n.ToString(CultureInfo.InvariantCulture)).PadLeft(width));
            }

            int rowTotal = RowTotal(result, t);
            double recall = rowTotal == 0 ? 0 : (double)result.Confusion[t, t] / rowTotal;
            text.Append(string.Create(CultureInfo.InvariantCulture, $"  │ {rowTotal,5}  {recall,6:P1}")).AppendLine();
        }

        return text.ToString();
    }

    private static int RowTotal(EvaluationResult result, int label)
    {
        int total = 0;
        for (int p = 0; p < result.Confusion.GetLength(1); p++)
        {
            total += result.Confusion[label, p];
        }

        return total;
    }
}
