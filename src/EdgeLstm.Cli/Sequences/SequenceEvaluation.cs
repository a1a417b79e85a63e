using System.Globalization;
using System.Text;
using EdgeLstm.Cli.Commands;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Inference;
using EdgeLstm.Model;

namespace EdgeLstm.Cli.Sequences;

/// <summary>
/// Runs a model over sequences of a source (raw readings: the model's preprocessing applies) and scores it: accuracy and
/// the confusion matrix for classes; MAE and RMSE in the data's units for values, beside the naive forecasts a model
/// must beat to have learned anything — repeating the last observed value (forecasting) and the training mean.
/// </summary>
internal static class SequenceEvaluation
{
    /// <summary>Sequences per predictor call.</summary>
    public const int BatchSize = 64;

    /// <summary>
    /// The library's loop over the sequences of <paramref name="source"/> (<see cref="SequenceRunner"/>), made once per
    /// source, as scoring every epoch must not allocate it anew. A file whose longest sequence is past the engine's
    /// limits is refused here, naming the file, before anything of its length is allocated.
    /// </summary>
    public static SequenceRunner Runner(LstmPredictor predictor, ISequenceSource source, string path)
    {
        if (source.MaxLength > ModelLimits.MaxSteps)
        {
            throw new CliException(Invariant($"{path}: the longest sequence has {source.MaxLength:N0} steps; the engine reads at most {ModelLimits.MaxSteps:N0} steps per sequence (split it into shorter ones)."));
        }

        try
        {
            return new SequenceRunner(predictor, source, BatchSize);
        }
        catch (ArgumentOutOfRangeException e)
        {
            string reason = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
            throw new CliException(Invariant($"{path}: sequences of {source.MaxLength:N0} steps are too long for this model even one at a time: {reason}"));
        }
    }

    /// <summary>Scores the model on the sequences at <paramref name="indices"/>; <paramref name="classMap"/> maps the source's classes to the model's.</summary>
    public static Scores Score(SequenceRunner runner, int[] indices, int[]? classMap, IReadOnlyList<float>? trainingMean, CancellationToken cancellation = default)
    {
        var config = runner.Model.Config;
        int k = config.Classes;
        Action<int> checkCancelled = _ => cancellation.ThrowIfCancellationRequested();
        if (!config.HeadRegresses)
        {
            var confusion = new EvaluationResult(k);
            runner.Run(indices, (_, output, classes, _) =>
            {
                for (int r = 0; r < classes.Length; r++)
                {
                    confusion.Add(classMap?[classes[r]] ?? classes[r], output.Slice(r * k, k));
                }
            }, checkCancelled);
            return new Scores(confusion, null, null, null);
        }

        var model = new ErrorSum();
        var mean = trainingMean is null ? null : new ErrorSum();
        var forecast = runner.Source as ForecastWindows;
        var last = forecast is null ? null : new ErrorSum();
        runner.Run(indices, (index, output, _, actual) =>
        {
            for (int i = 0; i < output.Length; i++)
            {
                model.Add(output[i], actual[i]);
                mean?.Add(trainingMean![i % k], actual[i]);
                if (forecast is not null)
                {
                    var spec = forecast.Spec;
                    last!.Add(forecast.LastObserved(index)[spec.TargetFeatures[i % spec.TargetFeatures.Count]], actual[i]);
                }
            }
        }, checkCancelled);
        return new Scores(null, model, last, mean);
    }

    /// <summary>The report's lines: accuracy and the confusion table, or the errors beside the baselines.</summary>
    public static string Report(Scores scores, IReadOnlyList<string>? classNames, string what)
    {
        var text = new StringBuilder();
        if (scores.Classes is { } classes)
        {
            text.Append(Invariant($"{what} accuracy {classes.Accuracy:P2}  ({classes.Correct} of {classes.Total} correct)")).AppendLine().AppendLine();
            text.Append(EvaluateCommand.ConfusionTable(classes));
            if (classNames is not null)
            {
                text.Append("classes: ").Append(string.Join(", ", classNames.Select((n, i) => Invariant($"{i} = {n}")))).AppendLine();
            }

            return text.ToString();
        }

        var m = scores.Model!;
        text.Append(Invariant($"{what} MAE {m.Mae:0.####}  RMSE {m.Rmse:0.####}  ({m.Count} values)")).AppendLine();
        if (scores.LastValue is { } last)
        {
            text.Append(Invariant($"  naive: last value    MAE {last.Mae:0.####}  RMSE {last.Rmse:0.####}   model MAE / naive MAE = {m.Mae / last.Mae:0.###}")).AppendLine();
        }

        if (scores.TrainingMean is { } mean)
        {
            text.Append(Invariant($"  naive: training mean MAE {mean.Mae:0.####}  RMSE {mean.Rmse:0.####}   model MAE / naive MAE = {m.Mae / mean.Mae:0.###}")).AppendLine();
        }

        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A model's scores: classes, or the model's and the baselines' errors.</summary>
    internal sealed record Scores(EvaluationResult? Classes, ErrorSum? Model, ErrorSum? LastValue, ErrorSum? TrainingMean)
    {
        /// <summary>One number, lower is better: 1 − accuracy, or the MAE (what early stopping compares).</summary>
        public double Loss => Classes is { } c ? 1 - c.Accuracy : Model!.Mae;

        /// <summary>The epoch line's part.</summary>
        public string Short => Classes is { } c ? Invariant($"accuracy {c.Accuracy:0.0000}") : Invariant($"MAE {Model!.Mae:0.####} RMSE {Model.Rmse:0.####}");
    }

    /// <summary>Sums of absolute and squared errors in float64.</summary>
    internal sealed class ErrorSum
    {
        private double _absolute;
        private double _squared;

        public long Count { get; private set; }

        public double Mae => Count == 0 ? double.NaN : _absolute / Count;

        public double Rmse => Count == 0 ? double.NaN : Math.Sqrt(_squared / Count);

        public void Add(float predicted, float actual)
        {
            double e = (double)predicted - actual;
            _absolute += Math.Abs(e);
            _squared += e * e;
            Count++;
        }
    }
}
