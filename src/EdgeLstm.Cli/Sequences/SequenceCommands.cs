using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;

namespace EdgeLstm.Cli.Sequences;

/// <summary>
/// <c>evaluate MODEL --data FILE</c> and <c>predict MODEL --data FILE</c> for a sequence file: the model's own
/// preprocessing turns the file's raw readings into its inputs, so nothing here normalises anything.
/// </summary>
internal static class SequenceCommands
{
    /// <summary>Scores the model on the file: accuracy and confusion with class names, or MAE/RMSE beside the naive forecasts.</summary>
    public static int Evaluate(ParseResult parsed, CliContext context, string modelPath, string dataPath, SequenceOptions options, int threads)
    {
        var loaded = ModelFile.Load(modelPath);
        var model = loaded.Model;
        var data = SequenceFile.LoadForModel(dataPath, options, parsed, model, requireTargets: true, parsed.GetValue(options.Validation));
        if (data.Indices.Length == 0)
        {
            throw new CliException($"{dataPath}: no sequences to evaluate.");
        }

        var o = context.Out;
        o.WriteLine($"model: {modelPath}");
        o.WriteLine(Invariant($"data:  {dataPath}: {data.Indices.Length} {(data.Series is null ? "sequences" : "windows")}{(data.Series is null ? string.Empty : Invariant($" forecasting the last {parsed.GetValue(options.Validation):P0} of its steps (time-ordered)"))}"));
        using var predictor = new LstmPredictor(model, threads);
        var scores = SequenceEvaluation.Score(SequenceEvaluation.Runner(predictor, data.Source, dataPath), data.Indices, data.ClassMap, TrainingMean(loaded), context.Cancellation);
        RefuseNonFinite(scores, modelPath, model);
        o.Write(SequenceEvaluation.Report(scores, model.Preprocessing?.ClassNames, "test"));
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Writes predictions as CSV (to <c>--out</c>, or the standard output): one row per sequence, or per step for a
    /// per-step head, with the id, the prediction and a classifier's probabilities; for a forecaster, the next
    /// <c>horizon</c> values after the file's last step.
    /// </summary>
    public static int Predict(ParseResult parsed, CliContext context, string modelPath, string dataPath, SequenceOptions options, string? outPath, int threads)
    {
        var loaded = ModelFile.Load(modelPath);
        var model = loaded.Model;
        var config = model.Config;

        // The output is checked before the work, as train checks its model file.
        string? target = outPath is null ? null : OutputTarget.Check("--out", context.Resolve(outPath), 0);
        var csv = new StringBuilder();
        using var predictor = new LstmPredictor(model, threads);
        string summary;
        if (model.Preprocessing?.Forecast is { } forecast)
        {
            // Only the last window is read: a series of exactly `window` steps is enough (scoring needs `horizon` more).
            var series = SequenceFile.LoadSeriesForModel(dataPath, options, parsed, model);
            if (series.Length < forecast.Window)
            {
                throw new CliException($"{dataPath}: the model reads windows of {forecast.Window} steps; the series has {series.Length}.");
            }

            float[] window = series.Steps(series.Length - forecast.Window, forecast.Window).ToArray();
            var output = new float[config.Classes];
            predictor.Predict(window, 1, output);
            NonFiniteOutput.Check(output, modelPath, model, "the forecasts");
            string last = series.Date(series.Length - 1);
            int k = forecast.TargetFeatures.Count;
            csv.Append("after,steps_ahead,").AppendJoin(',', forecast.TargetFeatures.Select(t => Field(series.FeatureNames[t]))).Append('\n');
            for (int h = 0; h < forecast.Horizon; h++)
            {
                csv.Append(Field(last)).Append(',').Append(h + 1);
                for (int j = 0; j < k; j++)
                {
                    csv.Append(',').Append(output[(h * k) + j].ToString("R", CultureInfo.InvariantCulture));
                }

                csv.Append('\n');
            }

            summary = Invariant($"forecast of the {forecast.Horizon} step(s) after {last} (the file's last step) from its last {forecast.Window}");
        }
        else
        {
            var data = SequenceFile.LoadForModel(dataPath, options, parsed, model, requireTargets: false, validationFraction: 0);
            var names = model.Preprocessing?.ClassNames;
            int k = config.Classes;
            bool perStep = config.HeadReadsEveryStep;
            csv.Append(perStep ? "id,step,prediction" : "id,prediction");
            if (config.HeadRegresses)
            {
                csv.Append(k == 1 ? string.Empty : string.Concat(Enumerable.Range(1, k - 1).Select(i => Invariant($",prediction_{i}"))));
            }
            else
            {
                csv.AppendJoin(string.Empty, Enumerable.Range(0, k).Select(c => ",p_" + Field(names?[c] ?? c.ToString(CultureInfo.InvariantCulture))));
            }

            csv.Append('\n');
            var dataset = (SequenceDataset)data.Source;
            SequenceEvaluation.Runner(predictor, dataset, dataPath).Run(data.Indices, (index, output, _, _) =>
            {
                NonFiniteOutput.Check(output, modelPath, model, Invariant($"the outputs for sequence {dataset.Id(index)}"));
                for (int row = 0; row < output.Length / k; row++)
                {
                    var values = output.Slice(row * k, k);
                    csv.Append(Field(dataset.Id(index)));
                    if (perStep)
                    {
                        csv.Append(',').Append(row);
                    }

                    if (!config.HeadRegresses)
                    {
                        int best = Evaluator.ArgMax(values);
                        csv.Append(',').Append(Field(names?[best] ?? best.ToString(CultureInfo.InvariantCulture)));
                    }

                    foreach (float v in values)
                    {
                        csv.Append(',').Append(v.ToString(config.HeadRegresses ? "R" : "0.######", CultureInfo.InvariantCulture));
                    }

                    csv.Append('\n');
                }
            }, _ => context.Cancellation.ThrowIfCancellationRequested());
            summary = Invariant($"{data.Indices.Length} sequences of {dataPath}, one row per {(perStep ? "step" : "sequence")}");
        }

        if (target is null)
        {
            context.Out.Write(csv.ToString());
            return ExitCodes.Ok;
        }

        byte[] bytes = Encoding.UTF8.GetBytes(csv.ToString());
        AtomicFile.Write(target, stream => stream.Write(bytes));
        context.Out.WriteLine($"model: {modelPath}");
        context.Out.WriteLine($"predictions: {summary}");
        context.Out.WriteLine($"written to {target}");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// <c>inspect MODEL --data FILE --svg FILE</c> for a regression model: the errors beside the naive forecasts and the
    /// first output's prediction against the actual value over the scored span (a series' last <c>--validation</c>) as an SVG.
    /// </summary>
    public static int Inspect(ParseResult parsed, CliContext context, string modelPath, string dataPath, SequenceOptions options, string? svgPath, int threads)
    {
        var loaded = ModelFile.Load(modelPath);
        var model = loaded.Model;
        if (!model.Config.HeadRegresses || model.Config.HeadReadsEveryStep)
        {
            throw new CliException($"{modelPath}: inspect --data draws a last-step regression model's predictions against the actual values; this model {(model.Config.HeadRegresses ? "regresses every step" : "classifies")} (evaluate scores it).");
        }

        string? svgFile = svgPath is null ? null : OutputTarget.Check("--svg", context.Resolve(svgPath), 0);
        var data = SequenceFile.LoadForModel(dataPath, options, parsed, model, requireTargets: true, parsed.GetValue(options.Validation));
        if (data.Indices.Length == 0)
        {
            throw new CliException($"{dataPath}: no sequences to inspect.");
        }

        using var predictor = new LstmPredictor(model, threads);
        var runner = SequenceEvaluation.Runner(predictor, data.Source, dataPath);
        var predicted = new List<float>();
        var actual = new List<float>();
        runner.Run(data.Indices, (_, output, _, values) =>
        {
            predicted.Add(output[0]);
            actual.Add(values[0]);
        }, _ => context.Cancellation.ThrowIfCancellationRequested());
        var scores = SequenceEvaluation.Score(runner, data.Indices, data.ClassMap, TrainingMean(loaded), context.Cancellation);
        RefuseNonFinite(scores, modelPath, model);
        var o = context.Out;
        o.WriteLine($"model: {modelPath}");
        o.WriteLine(Invariant($"data:  {dataPath}: {data.Indices.Length} {(data.Series is null ? "sequences" : "windows")}"));
        o.Write(SequenceEvaluation.Report(scores, null, "test"));
        if (svgFile is null)
        {
            o.WriteLine("(--svg FILE draws the predictions against the actual values)");
            return ExitCodes.Ok;
        }

        string first, last, what;
        if (data.Source is ForecastWindows windows)
        {
            first = windows.Series.Date(windows.FirstTargetStep(0));
            last = windows.Series.Date(windows.FirstTargetStep(windows.Count - 1));
            what = windows.Series.FeatureNames[windows.Spec.TargetFeatures[0]];
        }
        else
        {
            var dataset = (SequenceDataset)data.Source;
            (first, last, what) = (dataset.Id(data.Indices[0]), dataset.Id(data.Indices[^1]), "output 0");
        }

        string naive = scores.LastValue is { } l ? Invariant($"; repeating the last value: {l.Mae:0.####}") : string.Empty;
        string figure = Output.PredictionSvg.Render(
            actual,
            predicted,
            first,
            last,
            $"{what}: the model's forecast against the actual value ({Path.GetFileName(dataPath)})",
            Invariant($"{(data.Series is null ? "each sequence" : "one step ahead, each step of the held-out span")}: MAE {scores.Model!.Mae:0.####}{naive}"));
        byte[] bytes = Encoding.UTF8.GetBytes(figure);
        AtomicFile.Write(svgFile, stream => stream.Write(bytes));
        o.WriteLine($"SVG written to {svgFile}");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Refuses scores that hold an answer that is not finite: a classifier's such answers are counted apart, and a
    /// regression's error sum is not finite exactly when an output is not (the readers keep the targets finite).
    /// </summary>
    private static void RefuseNonFinite(SequenceEvaluation.Scores scores, string modelPath, LstmModel model)
    {
        if (scores.Classes is { NonFinite: > 0 } classes)
        {
            NonFiniteOutput.Refuse(modelPath, model, Invariant($"the class probabilities of {classes.NonFinite} of {classes.NonFinite + classes.Total} answers"));
        }

        if (scores.Model is { } errors && !double.IsFinite(errors.Mae))
        {
            NonFiniteOutput.Refuse(modelPath, model, "the model's outputs");
        }
    }

    /// <summary>The training targets' mean per output, for a regression whose file has it (the library reads and checks it).</summary>
    private static IReadOnlyList<float>? TrainingMean(LoadedModel loaded) => loaded.Model.Config.HeadRegresses ? loaded.TrainingTargetMean : null;

    /// <summary>A CSV field, quoted when it holds a separator, a quote or a line break.</summary>
    private static string Field(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
