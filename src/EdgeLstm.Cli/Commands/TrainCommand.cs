using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeLstm.Cli.Output;
using EdgeLstm.Data;
using EdgeLstm.Inference;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Cli.Commands;

/// <summary>
/// <c>edgelstm train</c>: the reference recipe's part 1. Its defaults are the recipe (2 layers × 256, keep 0.5, Adam
/// 1e-3, batches of 64, 2000 iterations); it prints the recipe's line every 200 iterations and the test accuracy at the end.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(CliContext context)
    {
        var data = CommonOptions.Data();
        var iterations = CommonOptions.Int("--iterations", "Training iterations (mini-batches) in all. With --resume: the new total.", 2000, 0, int.MaxValue);
        var epochs = new Option<double?>("--epochs") { Description = "Train for this many passes over the training set instead of --iterations (may be fractional).", HelpName = "E" };
        epochs.Validators.Add(r =>
        {
            if (CommonOptions.TryGetValue(r, out double? value) && value is not (> 0 and <= 100_000))
            {
                r.AddError("--epochs must be above 0 and at most 100000.");
            }
        });
        var batchSize = CommonOptions.Int("--batch-size", "Images per mini-batch.", 64, 1, ModelLimits.MaxBatchSize);
        var hidden = CommonOptions.Int("--hidden", "Units in each LSTM layer.", 256, 1, ModelLimits.MaxHiddenSize);
        var layers = CommonOptions.Int("--layers", "Stacked LSTM layers.", 2, 1, ModelLimits.MaxLayers);
        var cell = CommonOptions.Cell();
        var keep = CommonOptions.Float("--keep-prob", "Probability of keeping each LSTM output in training (dropout); 1 = no dropout.", 0.5f, TrainingRules.MinKeepProbability, 1f);
        var lr = CommonOptions.Float("--lr", "Adam's learning rate.", 1e-3f, 0f, TrainingRules.MaxLearningRate, minExclusive: true);
        var lrFinal = new Option<float?>("--lr-final") { Description = "Decay the learning rate along a cosine to this value at the last iteration (e.g. 1e-5 for a longer run). Default: constant, as the recipe.", HelpName = "X" };
        lrFinal.Validators.Add(r =>
        {
            if (CommonOptions.TryGetValue(r, out float? value) && value is not (> 0 and <= 1))
            {
                r.AddError("--lr-final must be above 0 and at most 1.");
            }
        });
        var clip = CommonOptions.Float("--clip-norm", "Clip the global gradient norm to this; 0 = off.", 0f, 0f, TrainingRules.MaxClipNorm);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial weights, the dropout masks and the shuffling.", DefaultValueFactory = _ => 1, HelpName = "N" };
        var threads = CommonOptions.Threads();
        var output = CommonOptions.Path("--out", "Where to save the trained model (safetensors). An existing file is replaced atomically; a directory, FIFO or device is refused; a symbolic link is followed.", "FILE", "model.safetensors");
        var checkpointEvery = CommonOptions.Int("--checkpoint-every", "Save a checkpoint every N iterations; 0 = only on Ctrl-C.", 0, 0, int.MaxValue);
        var checkpoint = CommonOptions.Path("--checkpoint", "Checkpoint file. Default: the --out name with .checkpoint.safetensors.", "FILE");
        var resume = CommonOptions.Path("--resume", "Continue exactly from a checkpoint (its model, settings, optimizer and data order). With a sequence file: give its --data and data options again.", "FILE");
        var init = CommonOptions.Path("--init", "Start from the weights of this model (ours or exported from PyTorch; a checkpoint works too) with a fresh optimizer and data order: fine-tuning. The architecture comes from the model. With a sequence file, the normalisation is that file's training split's.", "MODEL");

        var command = new Command(
            "train",
            "Train a stacked LSTM on the training images, 28 rows read as 28 steps (the reference recipe by default). Prints the recipe's line every 200 iterations, then the test accuracy and the wall time, and saves the model. Ctrl-C, SIGTERM or SIGHUP saves a checkpoint and exits (code 130, 143 or 129).")
        {
            data, iterations, epochs, batchSize, hidden, layers, cell, keep, lr, lrFinal, clip, seed, threads, output, checkpointEvery, checkpoint, resume, init,
        };

        // Your own sequences (--data FILE.csv|.npy|.npz): Sequences/SequenceTraining.cs.
        var sequence = Sequences.SequenceOptions.ForTraining(context);
        sequence.AddTo(command);
        command.Description += Sequences.SequenceTraining.Help;
        DataKindOptions.Add(command, data, context, sequence.All, [], string.Empty);

        // Options that decide the model or the optimisation cannot change when resuming.
        Option[] fixedOnResume = [batchSize, hidden, layers, cell, keep, lr, lrFinal, clip, seed];
        command.Validators.Add(result =>
        {
            if (result.GetResult(iterations) is { Implicit: false } && result.GetResult(epochs) is not null)
            {
                result.AddError("--iterations and --epochs are alternatives; give one.");
            }

            if (result.GetResult(init) is not null && result.GetResult(resume) is not null)
            {
                result.AddError("--init and --resume are alternatives: --resume continues a run exactly, --init starts a new one from a model's weights.");
            }

            if (result.GetResult(init) is not null)
            {
                foreach (var option in new Option[] { hidden, layers, cell }.Where(o => result.GetResult(o) is { Implicit: false }))
                {
                    result.AddError($"{option.Name} cannot be given with --init: the architecture comes from the model.");
                }
            }

            if (result.GetResult(resume) is not null)
            {
                foreach (var option in fixedOnResume.Where(o => result.GetResult(o) is { Implicit: false }))
                {
                    result.AddError($"{option.Name} cannot be changed with --resume: the checkpoint's value is used.");
                }
            }
        });

        command.SetAction(parsed =>
        {
            if (parsed.GetValue(lrFinal) > parsed.GetValue(lr))
            {
                throw new UsageException($"--lr-final ({parsed.GetValue(lrFinal)}) must not exceed --lr ({parsed.GetValue(lr)}).");
            }

            if (parsed.GetValue(data) is { } dataFile && Sequences.SequenceFile.Is(context.Resolve(dataFile)))
            {
                return Sequences.SequenceTraining.Run(parsed, context, context.Resolve(parsed.GetValue(data)!), sequence, new(iterations, epochs, batchSize, hidden, layers, cell, keep, lr, lrFinal, clip, seed, threads, output, checkpointEvery, checkpoint, resume, init));
            }

            var wall = Stopwatch.StartNew();
            var o = context.Out;
            string outPath = context.Resolve(parsed.GetValue(output)!);
            string checkpointPath = CheckpointPath(context, outPath, parsed.GetValue(checkpoint));

            TrainingCheckpoint? resumeFrom = null;
            string? resumePath = parsed.GetValue(resume) is { } r ? context.Resolve(r) : null;
            if (resumePath is not null)
            {
                resumeFrom = CheckpointFile.Load(resumePath);
                TrainingRules.CheckCheckpoint(resumeFrom, resumePath);
                if (Sequences.SequenceCheckpoint.IsSequence(resumeFrom))
                {
                    throw new CliException($"--resume {resumePath}: this checkpoint is of a run on a sequence file, not on MNIST images: resume it with that file's --data and data options (the line the run printed when it stopped).");
                }
            }

            var location = DataLocator.Find(parsed.GetValue(data), context);
            o.WriteLine($"data: {location.Describe()}");
            var train = location.Load(DatasetSplit.Train);
            var test = location.Load(DatasetSplit.Test);
            o.WriteLine(Invariant($"      {train.Count} training and {test.Count} test images of {train.Images.Rows}×{train.Images.Columns}"));
            if (train.Count == 0)
            {
                throw new CliException($"{location.Directory}: the training set is empty (0 images): there is nothing to train on.");
            }

            if (resumeFrom is not null && resumeFrom.TrainingExamples != train.Count)
            {
                throw new CliException($"--resume {resumePath}: the checkpoint was trained on {resumeFrom.TrainingExamples} images but {location.Directory} has {train.Count}: its batches would not be the same. Resume with the run's own data (--data), or start from its weights with --init.");
            }

            LoadedModel? initial = null;
            string? initPath = parsed.GetValue(init) is { } ip ? context.Resolve(ip) : null;
            if (initPath is not null)
            {
                initial = ModelFile.Load(initPath);
                TrainingRules.CheckTrainable(initial.Model, initPath);
                TrainingRules.CheckArchitecture(initial.Model.Config, initPath, fromOptions: false);
                ModelCompatibility.Check(initial.Model.Config, train, initPath);
                o.WriteLine($"init: weights from {initPath} (fresh optimizer)");
            }

            var baseSettings = resumeFrom?.Settings ?? new RecipeSettings
            {
                Model = initial?.Model.Config ?? new LstmConfig(train.Images.Columns, parsed.GetValue(hidden), parsed.GetValue(layers), 10, train.Images.Rows) { Cell = parsed.GetValue(cell) },
                BatchSize = parsed.GetValue(batchSize),
                KeepProbability = parsed.GetValue(keep),
                LearningRate = parsed.GetValue(lr),
                FinalLearningRate = parsed.GetValue(lrFinal),
                GradientClipNorm = parsed.GetValue(clip),
                Seed = parsed.GetValue(seed),
            };
            if (resumeFrom is null && initial is null)
            {
                // Before anything is allocated: the options' ranges alone still allow models far past the limit.
                TrainingRules.CheckArchitecture(baseSettings.Model, Invariant($"--hidden {baseSettings.Model.HiddenSize} --layers {baseSettings.Model.Layers}"), fromOptions: true);
            }

            long total = parsed.GetValue(epochs) is { } e
                ? (long)Math.Ceiling(e * train.Count / baseSettings.BatchSize)
                : (parsed.GetResult(iterations) is { Implicit: false } || resumeFrom is null ? parsed.GetValue(iterations) : resumeFrom.Settings.Iterations);
            var settings = baseSettings with
            {
                Iterations = total,
                CheckpointEvery = parsed.GetValue(checkpointEvery),
                Threads = parsed.GetValue(threads),
            };
            ModelCompatibility.Check(settings.Model, train, resumePath is null ? "--hidden/--layers" : "--resume");
            TrainingRules.CheckMemory(settings, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

            // Every output is checked, and its space reserved, before the first iteration: a run must not be lost to a
            // wrong --out after hours of training.
            long weightBytes = checked(RecipeSettings.ParameterCount(settings.Model) * sizeof(float));
            outPath = OutputTarget.Check("--out", outPath, weightBytes);
            checkpointPath = OutputTarget.Check("--checkpoint", checkpointPath, checked(3 * weightBytes));

            using var trainer = resumeFrom is not null ? RecipeTrainer.Resume(resumeFrom, train, _ => settings)
                : initial is not null ? new RecipeTrainer(settings, train, initial.Model)
                : new RecipeTrainer(settings, train);
            var config = settings.Model;
            o.WriteLine(Invariant($"model: {config.Describe()} ({trainer.Model.Parameters.Length:N0} parameters)"));
            o.WriteLine(Invariant($"train: Adam lr {settings.LearningRate}{(settings.FinalLearningRate is { } f ? $" → {f} (cosine)" : string.Empty)}, batch {settings.BatchSize}, keep {settings.KeepProbability}, {settings.Iterations} iterations ({(double)settings.Iterations * settings.BatchSize / train.Count:0.##} epochs), seed {settings.Seed}, {trainer.Threads} threads{(settings.GradientClipNorm > 0 ? $", clip {settings.GradientClipNorm}" : string.Empty)}"));
            if (resumeFrom is not null)
            {
                o.WriteLine(Invariant($"resumed at iteration {trainer.Iteration} (epoch {trainer.EpochsCompleted}) from {parsed.GetValue(resume)}"));
            }

            // The last state known to be good, for the message if training goes non-finite past saving anything.
            (string Path, long Iteration)? lastGood = resumePath is not null ? (resumePath, resumeFrom!.Cursor.Iteration) : null;
            var progress = new ProgressLine(o, context.OutputIsTerminal, plainEvery: 100);
            trainer.Reported = r => progress.WriteLine(Invariant($"train epoch {r.EpochsCompleted} train iteration {r.Iteration} train accur {r.Accuracy:G6}"));
            trainer.StepCompleted = progress.Update;
            trainer.CheckpointDue = cp =>
            {
                CheckpointFile.Save(cp, checkpointPath);
                lastGood = (checkpointPath, cp.Cursor.Iteration);
                progress.WriteLine(Invariant($"checkpoint at iteration {cp.Cursor.Iteration}: {checkpointPath}"));
            };

            context.HandleInterrupts();
            var trainClock = Stopwatch.StartNew();
            var outcome = trainer.Run(context.Cancellation);
            trainClock.Stop();
            progress.Clear();
            if (outcome == TrainingOutcome.NonFinite)
            {
                return StopNonFinite(context, trainer, checkpointPath, lastGood, initPath);
            }

            EvaluationResult? result = null;
            if (outcome == TrainingOutcome.Completed && test.Count > 0)
            {
                try
                {
                    result = trainer.Evaluate(test, done =>
                    {
                        context.Cancellation.ThrowIfCancellationRequested();
                        progress.Status(Invariant($"testing: {done}/{test.Count} images"));
                    });
                }
                catch (OperationCanceledException)
                {
                    outcome = TrainingOutcome.Cancelled;
                }
            }

            progress.Clear();
            if (outcome == TrainingOutcome.Cancelled)
            {
                CheckpointFile.Save(trainer.CreateCheckpoint(), checkpointPath);
                o.WriteLine(Invariant($"interrupted at iteration {trainer.Iteration}/{settings.Iterations}; checkpoint saved to {checkpointPath}"));
                o.WriteLine($"continue with: edgelstm train --resume {checkpointPath}");
                return context.InterruptExitCode();
            }

            var facts = CheckpointFile.Facts(settings, trainer.Iteration, trainer.EpochsCompleted);
            if (result is not null)
            {
                o.WriteLine(Invariant($"test accur {result.Accuracy:G6}  ({result.Correct} of {result.Total} test images)"));
                facts["train.test_accuracy"] = result.Accuracy.ToString("R", CultureInfo.InvariantCulture);
            }
            else
            {
                o.WriteLine("test accur not measured: the test set is empty");
            }

            facts["train.data"] = location.Origin == "bundled MNIST" ? "MNIST (bundled)" : location.Directory;
            facts["train.seconds"] = trainClock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            ModelFile.Save(trainer.Model, outPath, facts);
            o.WriteLine($"model saved to {outPath}");
            o.WriteLine(Invariant($"wall time {wall.Elapsed.TotalSeconds:0.0} s (training {trainClock.Elapsed.TotalSeconds:0.0} s, {(trainer.Iteration - (resumeFrom?.Cursor.Iteration ?? 0)) * settings.BatchSize / Math.Max(trainClock.Elapsed.TotalSeconds, 1e-9):0} samples/s)"));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The checkpoint file: <paramref name="given"/>, or by default the <c>--out</c> name with <c>.checkpoint.safetensors</c>;
    /// never the model's own file, which one of the two would overwrite.
    /// </summary>
    internal static string CheckpointPath(CliContext context, string outPath, string? given)
    {
        string path = given is not null
            ? context.Resolve(given)
            : Path.Combine(Path.GetDirectoryName(outPath)!, Path.GetFileNameWithoutExtension(outPath) + ".checkpoint.safetensors");
        return path != outPath ? path
            : throw new UsageException($"--out and --checkpoint name the same file ({outPath}); the checkpoint would overwrite the model or the other way round.");
    }

    /// <summary>
    /// Training went non-finite: never save those numbers, keep (or point to) the last good state, say how to go on.
    /// </summary>
    private static int StopNonFinite(CliContext context, RecipeTrainer trainer, string checkpointPath, (string Path, long Iteration)? lastGood, string? initPath)
    {
        var stop = trainer.NonFinite!;
        var error = context.Error;
        string state = !float.IsFinite(stop.GradientNorm) ? "that step was not applied"
            : stop.StateIsGood ? "the weights are still finite"
            : "the weights overflowed";
        error.WriteLine(Invariant($"error: training stopped at iteration {stop.Iteration}/{trainer.Settings.Iterations}: loss {stop.Loss}, gradient norm {stop.GradientNorm}; {state} and the model was not saved (nothing non-finite is ever written)."));
        if (stop.StateIsGood)
        {
            CheckpointFile.Save(trainer.CreateCheckpoint(), checkpointPath);
            lastGood = (checkpointPath, trainer.Iteration);
        }

        if (lastGood is { } good)
        {
            error.WriteLine(Invariant($"the last good state (iteration {good.Iteration}) is in {good.Path}: continue with: edgelstm train --resume {good.Path}, or start from its weights at a lower rate: edgelstm train --init {good.Path} --lr {trainer.Settings.LearningRate / 10}"));
        }
        else
        {
            error.WriteLine($"no good state was saved in this run{(initPath is null ? string.Empty : $"; the starting weights are in {initPath}")}: try a lower --lr or --clip-norm, and --checkpoint-every N to keep one.");
        }

        return ExitCodes.Error;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
