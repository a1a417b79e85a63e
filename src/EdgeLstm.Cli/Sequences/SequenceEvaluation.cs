using System.Globalization;
using System.Text;
using EdgeLstm.Cli.Commands;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Inference;

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
    /// Runs every sequence at <paramref name="indices"/> through <paramref name="predictor"/> and hands each one's outputs
    /// (K floats, or Length·K for a per-step head; probabilities or values) and the batch it came from to <paramref name="each"/>.
    /// </summary>
    public static void Run(LstmPredictor predictor, ISequenceSource source, int[] indices, Action<int, ReadOnlySpan<float>, SequenceBatch, int> each, CancellationToken cancellation = default)
    {
        var config = predictor.Model.Config;
        int steps = source.MaxLength, k = config.Classes;
        int rowsPerSequence = config.HeadReadsEveryStep ? steps : 1;
        var batch = new SequenceBatch(source, Math.Min(BatchSize, Math.Max(indices.Length, 1)), steps);
        var outputs = new float[batch.Capacity * rowsPerSequence * k];
        for (int start = 0; start < indices.Length; start += batch.Capacity)
        {
            cancellation.ThrowIfCancellationRequested();
            var part = indices.AsSpan(start, Math.Min(batch.Capacity, indices.Length - start));
            batch.Gather(part);
            var result = outputs.AsSpan(0, part.Length * rowsPerSequence * k);
            predictor.Predict(batch.Inputs, part.Length, batch.Lengths, result);
            for (int b = 0; b < part.Length; b++)
            {
                int rows = config.HeadReadsEveryStep ? batch.Lengths[b] : 1;
                each(part[b], result.Slice(b * rowsPerSequence * k, rows * k), batch, b);
            }
        }
    }

    /// <summary>Scores the model on the sequences at <paramref name="indices"/>; <paramref name="classMap"/> maps the source's classes to the model's.</summary>
    public static Scores Score(LstmPredictor predictor, ISequenceSource source, int[] indices, int[]? classMap, IReadOnlyList<float>? trainingMean, CancellationToken cancellation = default)
    {
        var config = predictor.Model.Config;
        int k = config.Classes;
        if (!config.HeadRegresses)
        {
            var confusion = new EvaluationResult(k);
            Run(predictor, source, indices, (_, output, batch, b) =>
            {
                int rows = output.Length / k;
                for (int r = 0; r < rows; r++)
                {
                    int actual = config.HeadReadsEveryStep ? batch.Classes[(b * batch.Steps) + r] : batch.Classes[b];
                    confusion.Add(classMap?[actual] ?? actual, output.Slice(r * k, k));
                }
            }, cancellation);
            return new Scores(confusion, null, null, null);
        }

        var model = new ErrorSum();
        var mean = trainingMean is null ? null : new ErrorSum();
        var forecast = source as ForecastWindows;
        var last = forecast is null ? null : new ErrorSum();
        Run(predictor, source, indices, (index, output, batch, b) =>
        {
            int width = batch.Values.Length / batch.Count;
            var actual = batch.Values.Slice(b * width, output.Length);
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
        }, cancellation);
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
