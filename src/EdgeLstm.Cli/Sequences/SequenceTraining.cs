using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeLstm.Data.Sequences;
using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Cli.Sequences;

/// <summary>The <c>train</c> options this mode reads, as the train command declares them.</summary>
internal sealed record TrainOptionSet(
    Option<int> Iterations,
    Option<double?> Epochs,
    Option<int> BatchSize,
    Option<int> Hidden,
    Option<int> Layers,
    Option<CellKind> Cell,
    Option<float> Keep,
    Option<float> LearningRate,
    Option<float?> FinalLearningRate,
    Option<float> Clip,
    Option<ulong> Seed,
    Option<int> Threads,
    Option<string?> Out,
    Option<int> CheckpointEvery,
    Option<string?> Checkpoint,
    Option<string?> Resume,
    Option<string?> Init);

/// <summary>
/// <c>edgelstm train --data FILE</c> for a sequence file: reads and splits it, computes the normalisation on the
/// training split, builds the network the targets ask for (a class or values, per sequence or per step), trains with
/// one validation line per epoch, and saves the model with its preprocessing, so evaluate, predict, the stream and the C
/// ABI feed it raw readings.
/// </summary>
internal static class SequenceTraining
{
    /// <summary>Defaults for a sequence file where the option was not given (the recipe's are for 60,000 images).</summary>
    public const int DefaultHidden = 64, DefaultLayers = 1, DefaultBatchSize = 32, DefaultEpochs = 30;

    /// <summary>What <c>train --help</c> says about this mode.</summary>
    public static readonly string Help =
        " With --data FILE.csv|.npy|.npz it trains on your own sequences instead: a long-format CSV (--id, --time, --features, --target), one time series with --window W [--horizon H] (forecasting), or NumPy arrays; "
        + $"defaults there: --hidden {DefaultHidden} --layers {DefaultLayers} --keep-prob 1 --batch-size {DefaultBatchSize} --epochs {DefaultEpochs}, --validation 0.2, one validation line per epoch. "
        + "Inputs are normalised with statistics of the training split, stored in the model so it takes raw readings (--normalize none: fed as the file holds them). "
        + "The MNIST recipe's images as a long-format CSV (tools/mnist_to_csv.py) train exactly what the recipe trains with its options given and --validation 0 --normalize none --batches recipe. "
        + "Ctrl-C, SIGTERM or SIGHUP saves a checkpoint there too (--checkpoint-every N: every N iterations); --resume FILE continues it exactly, given the same --data and data options (the line printed on stopping). "
        + "Forecasting learns the change from the window's last value by default (--absolute turns it off): a trending series leaves the range a network saw in training, "
        + "and on Mauna Loa CO2 an LSTM on globally standardised values does worse than repeating the last value over the final 20 % (MAE 0.637 ppm against 0.405), "
        + "while the same network on windows relative to their last value beats it (0.330; this trainer's default run in the README: 0.315): the change looks the same in 1960 and in 2000.";

    public static int Run(ParseResult parsed, CliContext context, string dataPath, SequenceOptions sequence, TrainOptionSet options)
    {
        var wall = Stopwatch.StartNew();

        var o = context.Out;
        string outPath = context.Resolve(parsed.GetValue(options.Out)!);
        string checkpointPath = Commands.TrainCommand.CheckpointPath(context, outPath, parsed.GetValue(options.Checkpoint));

        // A resumed run takes what decides the model and the optimisation from its checkpoint (the command refuses those
        // options beside --resume), and must be given the same data options: checked here, before the data are read.
        TrainingCheckpoint? resumeFrom = null;
        string? resumePath = parsed.GetValue(options.Resume) is { } r ? context.Resolve(r) : null;
        if (resumePath is not null)
        {
            resumeFrom = CheckpointFile.Load(resumePath);
            TrainingRules.CheckCheckpoint(resumeFrom, resumePath);
            SequenceCheckpoint.CheckOptions(resumeFrom, resumePath, parsed, sequence);
        }

        // Fine-tuning: the architecture comes from the model (the command refuses --hidden, --layers, --cell beside --init).
        LoadedModel? initial = null;
        string? initPath = parsed.GetValue(options.Init) is { } ip ? context.Resolve(ip) : null;
        if (initPath is not null)
        {
            initial = ModelFile.Load(initPath);
            TrainingRules.CheckTrainable(initial.Model, initPath);
            TrainingRules.CheckArchitecture(initial.Model.Config, initPath, fromOptions: false);
        }

        var saved = resumeFrom?.Settings;
        var architecture = saved?.Model ?? initial?.Model.Config;
        ulong seed = saved?.Seed ?? parsed.GetValue(options.Seed);
        int hidden = architecture?.HiddenSize ?? Value(parsed, options.Hidden, DefaultHidden);
        int layers = architecture?.Layers ?? Value(parsed, options.Layers, DefaultLayers);
        int batchSize = saved?.BatchSize ?? Value(parsed, options.BatchSize, DefaultBatchSize);
        float keep = saved?.KeepProbability ?? Value(parsed, options.Keep, 1f);
        var cell = architecture?.Cell ?? parsed.GetValue(options.Cell);

        var data = SequenceFile.LoadForTraining(dataPath, sequence, parsed, seed);
        var source = data.Train;
        o.WriteLine($"data: {data.Description}");
        o.WriteLine(Invariant($"      {data.TrainIndices.Length} training and {data.ValidationIndices.Length} validation {(data.Forecast is null ? "sequences" : "windows")}{(data.Forecast is null ? string.Empty : " (time-ordered: validation forecasts the last steps only)")}"));

        bool classes = source.TargetKind is SequenceTargetKind.SequenceClass or SequenceTargetKind.StepClass;
        var head = source.TargetKind switch
        {
            SequenceTargetKind.SequenceClass => HeadKind.ClassifyLastStep,
            SequenceTargetKind.StepClass => HeadKind.ClassifyEveryStep,
            SequenceTargetKind.SequenceValues => HeadKind.RegressLastStep,
            _ => HeadKind.RegressEveryStep,
        };
        int steps = Math.Max(source.MaxLength, data.Validation?.MaxLength ?? 0);
        var config = new LstmConfig(source.FeatureCount, hidden, layers, classes ? source.ClassCount : source.TargetWidth, steps) { Cell = cell, Head = head };

        // The data's identity, for a resume's check now and for every checkpoint this run writes.
        string fingerprint = SequenceCheckpoint.Fingerprint(data, steps);
        string dataOptions = SequenceCheckpoint.DataOptions(parsed, sequence);
        if (resumeFrom is not null)
        {
            SequenceCheckpoint.CheckData(resumeFrom, resumePath!, fingerprint, dataPath, data.TrainIndices.Length);
            if (resumeFrom.Model.Config != config)
            {
                throw new CliException($"--resume {resumePath}: the checkpoint's model is {resumeFrom.Model.Config.Describe()}, but these data need {config.Describe()}.");
            }
        }
        else if (initial is not null)
        {
            CheckInitial(initial.Model, initPath!, config, classes ? source.ClassNames : null);
        }
        else
        {
            TrainingRules.CheckArchitecture(config, Invariant($"--hidden {hidden} --layers {layers}"), fromOptions: true);
        }

        TrainingRules.CheckMemory(new RecipeSettings { Model = config, BatchSize = batchSize }, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

        // Before the long work: the outputs are checked and their space reserved.
        long weightBytes = checked(RecipeSettings.ParameterCount(config) * sizeof(float));
        outPath = OutputTarget.Check("--out", outPath, weightBytes);
        checkpointPath = OutputTarget.Check("--checkpoint", checkpointPath, checked(3 * weightBytes));

        bool normalize = parsed.GetValue(sequence.Normalize) != "none";
        var inputStatistics = normalize ? NormalizationStatistics.ForFeatures(data.Prepared, data.TrainIndices) : null;
        var targetStatistics = classes ? null : NormalizationStatistics.ForTargets(data.Prepared, data.TrainIndices);
        float[]? trainingMean = classes ? null : [.. NormalizationStatistics.ForTargets(source, data.TrainIndices).Mean];

        // Computed again on a resume, from data the fingerprint showed are the run's: the same statistics, bit for bit.
        var preprocessing = new Preprocessing(inputStatistics, targetStatistics, classes ? source.ClassNames : null, source.FeatureNames, data.Forecast);
        var model = resumeFrom?.Model ?? LstmModel.Create(config, seed);
        if (initial is not null)
        {
            initial.Model.Parameters.CopyTo(model.Parameters);
            model.MarkParametersChanged();
        }

        model.Preprocessing = preprocessing;

        string batchOrder = parsed.GetValue(sequence.Batches)!;
        var batches = BatchOrder.Create(batchOrder, data.TrainIndices, batchSize, seed);
        long iterations = parsed.GetValue(options.Epochs) is { } e ? batches.IterationsFor(e)
            : parsed.GetResult(options.Iterations) is { Implicit: false } ? parsed.GetValue(options.Iterations)
            : saved?.Iterations ?? batches.IterationsFor(DefaultEpochs);
        int earlyStop = parsed.GetValue(sequence.EarlyStop);
        if (earlyStop > 0 && data.Validation is null)
        {
            throw new UsageException("--early-stop needs validation data: give --validation FRACTION above 0.");
        }

        var settings = new RecipeSettings
        {
            Model = config,
            Iterations = iterations,
            BatchSize = batchSize,
            KeepProbability = keep,
            LearningRate = saved?.LearningRate ?? parsed.GetValue(options.LearningRate),
            FinalLearningRate = saved is not null ? saved.FinalLearningRate : parsed.GetValue(options.FinalLearningRate),
            GradientClipNorm = saved?.GradientClipNorm ?? parsed.GetValue(options.Clip),
            Seed = seed,
            CheckpointEvery = parsed.GetValue(options.CheckpointEvery),
            Threads = parsed.GetValue(options.Threads),
        };
        var trainerOptions = settings.ToTrainerOptions(RunSeeds.From(seed).Dropout);
        using var trainer = new LstmTrainer(model, trainerOptions);
        using var predictor = new LstmPredictor(model, trainer.Context);
        var progress = SequenceProgress.Start;
        long done = 0;
        if (resumeFrom is not null)
        {
            resumeFrom.FirstMoment.CopyTo(trainer.Optimizer.FirstMoment);
            resumeFrom.SecondMoment.CopyTo(trainer.Optimizer.SecondMoment);
            trainer.Optimizer.Step = resumeFrom.AdamStep;
            trainer.DropoutRandom.SetState(resumeFrom.DropoutState);
            progress = SequenceCheckpoint.Progress(resumeFrom, resumePath!);
            done = resumeFrom.Cursor.Iteration;
            batches.Skip(done);

            // The replay must land where the run stood: anything else is a checkpoint this batch order did not write.
            if (batches.Position != resumeFrom.Cursor.EpochPosition || !batches.State.AsSpan().SequenceEqual(resumeFrom.Cursor.EpochShuffleState))
            {
                throw new ModelFormatException(resumePath!, $"{SafeTensorsReader.MetadataKey}.train.shuffle_state", Invariant($"expected the place {done} iterations of --batches {batchOrder} lead to (position {batches.Position} of the pass), found position {resumeFrom.Cursor.EpochPosition} and another generator state"));
            }
        }

        o.WriteLine(Invariant($"model: up to {config.Describe()} ({model.Parameters.Length:N0} parameters)"));
        if (data.Forecast is { } f)
        {
            o.WriteLine(f.RelativeToLast
                ? "      forecasting the change from each window's last value (the default; --absolute turns it off)"
                : "      forecasting absolute values (--absolute)");
        }

        o.WriteLine(Invariant($"train: Adam lr {trainerOptions.LearningRate}{(settings.FinalLearningRate is { } finalRate ? $" → {finalRate} (cosine)" : string.Empty)}, batch {batchSize}, keep {keep}, {iterations} iterations ({batches.EpochsOf(iterations):0.##} epochs{(batchOrder == BatchOrder.Recipe ? ", the recipe's batches" : string.Empty)}), seed {seed}, {trainer.Threads} threads{(normalize ? string.Empty : ", inputs not normalised")}{(earlyStop > 0 ? $", early stop after {earlyStop} epochs without improvement" : string.Empty)}"));
        if (initPath is not null)
        {
            o.WriteLine($"init: weights from {initPath} (fresh optimizer; normalisation from this file's training split)");
        }

        if (resumeFrom is not null)
        {
            o.WriteLine(Invariant($"resumed at iteration {done} (epoch {progress.Epoch}) from {resumePath}"));
        }

        // Made once: each epoch's validation runs the same batches through the same buffers.
        var validation = data.Validation is null ? null : SequenceEvaluation.Runner(predictor, data.Validation, dataPath);
        if (validation is not null && !classes)
        {
            // What the model must beat, before it starts.
            var naive = SequenceEvaluation.Score(validation, data.ValidationIndices, null, trainingMean);
            string last = naive.LastValue is { } l ? Invariant($"last value MAE {l.Mae:0.####} RMSE {l.Rmse:0.####}; ") : string.Empty;
            o.WriteLine(Invariant($"validation baselines: {last}training mean MAE {naive.TrainingMean!.Mae:0.####} RMSE {naive.TrainingMean.Rmse:0.####}"));
        }

        // Short batches are filled up with empty slots to this one shape: no larger than a batch ever is (a training
        // split smaller than --batch-size in epoch order), so no slot is computed for nothing.
        var batch = new SequenceBatch(source, batches.LargestBatch, steps);
        int features = config.InputSize;
        double lossSum = progress.LossSum;
        long lossCount = progress.LossCount;
        double bestLoss = progress.BestLoss;
        float[]? best = earlyStop > 0 ? resumeFrom?.BestParameters : null;
        bool stoppedEarly = false;
        long bestEpoch = progress.BestEpoch, epoch = progress.Epoch, stale = progress.Stale;

        // Everything a resume needs, at the batch boundary after `iterationsDone`; only made when one is saved.
        TrainingCheckpoint Checkpoint(long iterationsDone) => new()
        {
            Model = model.Clone(),
            FirstMoment = trainer.Optimizer.FirstMoment.ToArray(),
            SecondMoment = trainer.Optimizer.SecondMoment.ToArray(),
            AdamStep = trainer.Optimizer.Step,
            Settings = settings,
            Cursor = new TrainingCursor(iterationsDone, (int)Math.Min(epoch, int.MaxValue), batches.Position, batches.State),
            DropoutState = trainer.DropoutRandom.GetState(),
            TrainingExamples = data.TrainIndices.Length,
            BestParameters = best,
            RunFacts = SequenceCheckpoint.Facts(dataPath, fingerprint, dataOptions, parsed, sequence, new SequenceProgress(lossSum, lossCount, epoch, bestLoss, bestEpoch, stale)),
        };

        // On a signal: the state at this batch boundary as a checkpoint, and the command that continues it.
        int Interrupted(long iterationsDone)
        {
            CheckpointFile.Save(Checkpoint(iterationsDone), checkpointPath);
            o.WriteLine(iterationsDone == iterations
                ? Invariant($"interrupted after the last iteration ({iterations}), before the model was saved; checkpoint saved to {checkpointPath}")
                : Invariant($"interrupted at iteration {iterationsDone}/{iterations}; checkpoint saved to {checkpointPath}"));
            o.WriteLine($"continue with: edgelstm train --data {SequenceCheckpoint.Quote(dataPath)}{dataOptions} --resume {SequenceCheckpoint.Quote(checkpointPath)} --out {SequenceCheckpoint.Quote(outPath)}");
            return context.InterruptExitCode();
        }

        (string Path, long Iteration)? lastGood = resumePath is not null ? (resumePath, done) : null;
        context.HandleInterrupts();
        var clock = Stopwatch.StartNew();
        for (long iteration = done; iteration < iterations; iteration++)
        {
            if (context.Cancellation.IsCancellationRequested)
            {
                return Interrupted(iteration);
            }

            var part = batches.Next(out bool endsEpoch);
            batch.Gather(part);
            var lastSteps = batch.LastSteps.AsSpan(0, part.Length * features);
            preprocessing.PrepareInputs(batch.Inputs, part.Length, steps, batch.Lengths, lastSteps);
            if (!classes)
            {
                preprocessing.PrepareTargets(batch.Values, part.Length, lastSteps);
            }

            // An epoch's short last batch is filled up with empty slots: the trainer keeps the one shape it has the
            // activations of, where a batch of another size would have them made anew every epoch.
            batch.FillEmptySlots();
            trainer.Optimizer.LearningRate = settings.LearningRateAt(iteration);
            float loss = classes
                ? trainer.TrainBatch(batch.Inputs, batch.Count, batch.Classes, batch.Lengths)
                : trainer.TrainBatch(batch.Inputs, batch.Count, batch.Values, batch.Lengths);

            if (!float.IsFinite(loss) || !float.IsFinite(trainer.LastGradientNorm))
            {
                context.Error.WriteLine(Invariant($"error: training stopped at iteration {iteration + 1}/{iterations}: loss {loss}, gradient norm {trainer.LastGradientNorm}; the model was not saved (nothing non-finite is ever written). Try a lower --lr or --clip-norm 1."));
                context.Error.WriteLine(lastGood is { } good
                    ? Invariant($"the last good state (iteration {good.Iteration}) is in {good.Path}")
                    : "no good state was saved in this run: --checkpoint-every N keeps one.");
                return ExitCodes.Error;
            }

            lossSum += loss;
            lossCount++;
            bool stopEarly = false;
            if (endsEpoch || iteration == iterations - 1)
            {
                epoch++;
                string line = Invariant($"epoch {epoch,3}  iteration {iteration + 1}/{iterations}  train loss {lossSum / lossCount:0.00000}");
                lossSum = 0;
                lossCount = 0;
                if (validation is not null)
                {
                    var scores = SequenceEvaluation.Score(validation, data.ValidationIndices, null, trainingMean);
                    line += "  validation " + scores.Short;
                    if (scores.Loss < bestLoss)
                    {
                        bestLoss = scores.Loss;
                        bestEpoch = epoch;
                        stale = 0;
                        if (earlyStop > 0)
                        {
                            best = model.Parameters.ToArray();
                            line += "  (best)";
                        }
                    }
                    else
                    {
                        stale++;
                    }
                }

                o.WriteLine(line);
                if (earlyStop > 0 && stale >= earlyStop)
                {
                    o.WriteLine(Invariant($"early stop: no better validation score for {earlyStop} epochs; keeping epoch {bestEpoch}"));
                    stopEarly = true;
                }
            }

            if (stopEarly)
            {
                stoppedEarly = true;
                break;
            }

            if (settings.CheckpointEvery > 0 && (iteration + 1) % settings.CheckpointEvery == 0)
            {
                CheckpointFile.Save(Checkpoint(iteration + 1), checkpointPath);
                lastGood = (checkpointPath, iteration + 1);
                o.WriteLine(Invariant($"checkpoint at iteration {iteration + 1}: {checkpointPath}"));
            }
        }

        clock.Stop();

        // A signal after the last batch (during its epoch's validation, or the final one below) is handled as at any
        // batch boundary: the training is done but the model not yet saved, so the finished state becomes the
        // checkpoint, and its resume only evaluates and saves. A run that stopped early has no state to resume (its
        // batches stopped short of the iterations asked for): it saves its model at once instead, without the report.
        var cancellation = context.Cancellation;
        if (cancellation.IsCancellationRequested && !stoppedEarly)
        {
            return Interrupted(iterations);
        }

        // From here the model holds the weights it is saved with. A checkpoint taken below (a signal during the final
        // report) keeps them as its weights: its resume trains no further, so they are what it evaluates and saves.
        if (best is not null)
        {
            best.CopyTo(model.Parameters);
            model.MarkParametersChanged();
        }

        var facts = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["train.data"] = Path.GetFileName(dataPath),
            ["train.seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["train.iterations"] = iterations.ToString(CultureInfo.InvariantCulture),
            ["train.batch_size"] = batchSize.ToString(CultureInfo.InvariantCulture),
            ["train.learning_rate"] = trainerOptions.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["train.final_learning_rate"] = settings.FinalLearningRate is { } lastRate ? lastRate.ToString("R", CultureInfo.InvariantCulture) : "constant",
            ["train.keep_prob"] = keep.ToString("R", CultureInfo.InvariantCulture),
            ["train.validation"] = parsed.GetValue(sequence.Validation).ToString("R", CultureInfo.InvariantCulture),
            ["train.normalize"] = parsed.GetValue(sequence.Normalize)!,
            ["train.batches"] = batchOrder,
            ["train.seconds"] = clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),
        };
        if (trainingMean is not null)
        {
            facts[ModelFile.TrainingTargetMeanKey] = ModelFile.NumberList(trainingMean);
        }

        bool reportSkipped = validation is not null && cancellation.IsCancellationRequested;
        if (validation is not null && !reportSkipped)
        {
            try
            {
                var final = SequenceEvaluation.Score(validation, data.ValidationIndices, null, trainingMean, cancellation);
                o.Write(SequenceEvaluation.Report(final, preprocessing.ClassNames, best is null ? "validation" : Invariant($"validation (epoch {bestEpoch})")));
                facts["train.validation_score"] = final.Short;
            }
            catch (OperationCanceledException) when (!stoppedEarly)
            {
                return Interrupted(iterations);
            }
            catch (OperationCanceledException)
            {
                // Stopped early: the model is saved below, without its report.
                reportSkipped = true;
            }
        }

        if (cancellation.IsCancellationRequested && !stoppedEarly)
        {
            return Interrupted(iterations);
        }

        ModelFile.Save(model, outPath, facts);
        o.WriteLine($"model saved to {outPath}");
        if (reportSkipped)
        {
            o.WriteLine(Invariant($"interrupted after training had stopped early: the model holds epoch {bestEpoch}'s weights; its final validation report was skipped"));
            return context.InterruptExitCode();
        }

        o.WriteLine(Invariant($"wall time {wall.Elapsed.TotalSeconds:0.0} s (training {clock.Elapsed.TotalSeconds:0.0} s)"));
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Refuses a model to fine-tune whose weights do not fit these data: another input width, output width or head, or
    /// output classes named otherwise (the same unit would be trained for another class). Its step count may differ: it
    /// is only the longest sequence the model was made for, and the weights do not depend on it.
    /// </summary>
    private static void CheckInitial(LstmModel initial, string path, LstmConfig needed, IReadOnlyList<string>? classNames)
    {
        var have = initial.Config;
        if (have with { Steps = needed.Steps } != needed)
        {
            throw new CliException($"--init {path}: the model is {have.Describe()}, but these data need {(needed with { Steps = have.Steps }).Describe()} (its steps may differ, nothing else): fine-tune it on data of the same kind.");
        }

        if (initial.Preprocessing?.ClassNames is { } modelNames && classNames is not null && !modelNames.SequenceEqual(classNames, StringComparer.Ordinal))
        {
            throw new CliException($"--init {path}: the model's classes are {string.Join(", ", modelNames.Take(20))}, but these data's are {string.Join(", ", classNames.Take(20))}: each output would be trained for another class.");
        }
    }

    private static T Value<T>(ParseResult parsed, Option<T> option, T sequenceDefault) =>
        parsed.GetResult(option) is { Implicit: false } ? parsed.GetValue(option)! : sequenceDefault;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
