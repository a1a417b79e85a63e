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
        var command = new Command("evaluate", "Classify every test image with MODEL; print the accuracy and the confusion matrix (rows: true class, columns: predicted).")
        {
            model, data, threads,
        };
        command.SetAction(parsed =>
        {
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

            // A model whose finite weights overflow answers NaN, which the count would score as class 0: refused on the
            // first image instead (a probe, not a proof: the loop itself does not look at the probabilities).
            var first = new float[loaded.Model.Config.Classes];
            predictor.Predict(test.Images.Image(0), 1, first);
            NonFiniteOutput.Check(first, path, loaded.Model, "the class probabilities of test image 0");
            var result = Evaluator.Evaluate(predictor, test);

            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy {result.Accuracy:P2}  ({result.Correct} of {result.Total} correct, {result.Total - result.Correct} wrong)"));
            o.WriteLine();
            o.Write(ConfusionTable(result));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The matrix with row totals and each class's recall, columns wide enough for the largest count.</summary>
    public static string ConfusionTable(EvaluationResult result)
    {
        int classes = result.Confusion.GetLength(0);
        int width = Math.Max(5, result.Total.ToString(CultureInfo.InvariantCulture).Length + 1);
        var text = new StringBuilder();
        text.Append("true\\pred".PadRight(10));
        for (int p = 0; p < classes; p++)
        {
            text.Append(p.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        }

        text.Append("  │ total  recall").AppendLine();
        for (int t = 0; t < classes; t++)
        {
            text.Append(("   " + t.ToString(CultureInfo.InvariantCulture)).PadRight(10));
            int rowTotal = 0;
            for (int p = 0; p < classes; p++)
            {
                int n = result.Confusion[t, p];
                rowTotal += n;
                text.Append((n == 0 ? "·" : n.ToString(CultureInfo.InvariantCulture)).PadLeft(width));
            }

            double recall = rowTotal == 0 ? 0 : (double)result.Confusion[t, t] / rowTotal;
            text.Append(string.Create(CultureInfo.InvariantCulture, $"  │ {rowTotal,5}  {recall,6:P1}")).AppendLine();
        }

        return text.ToString();
    }
}
