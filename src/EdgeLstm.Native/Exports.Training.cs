using System.Runtime.InteropServices;
using EdgeLstm.Inference;
using EdgeLstm.Training;

namespace EdgeLstm.Native;

internal static unsafe partial class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_create")]
    internal static Status TrainerCreate(ulong model, float learningRate, float keepProbability, ulong seed, ulong* output)
    {
        LastError.Clear();
        try
        {
            Args.NotNull(output, "out");
            *output = 0;
            var entry = HandleTable.Get<ModelEntry>(model, HandleKind.Model);
            var options = new TrainerOptions
            {
                LearningRate = learningRate,
                KeepProbability = keepProbability,
                Seed = seed,
                Threads = Settings.Threads,
            };
            options.Validate();
            *output = Add(new TrainerEntry(entry, options));
            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_trainer_create", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_train_batch")]
    internal static Status TrainerTrainBatch(ulong trainer, float* x, nuint xLength, int* labels, int batch, int steps, float* loss)
        => Train("edgelstm_trainer_train_batch", trainer, new Batch(BatchTargets.OneLabelPerSequence, x, xLength, batch, steps, null, 0, labels, 0, null, 0), loss);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_train_labels")]
    internal static Status TrainerTrainLabels(ulong trainer, float* x, nuint xLength, int batch, int steps, int* lengths, nuint lengthsLength, int* labels, nuint labelsLength, float* loss)
        => Train("edgelstm_trainer_train_labels", trainer, new Batch(BatchTargets.Labels, x, xLength, batch, steps, lengths, lengthsLength, labels, labelsLength, null, 0), loss);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_train_targets")]
    internal static Status TrainerTrainTargets(ulong trainer, float* x, nuint xLength, int batch, int steps, int* lengths, nuint lengthsLength, float* targets, nuint targetsLength, float* loss)
        => Train("edgelstm_trainer_train_targets", trainer, new Batch(BatchTargets.Targets, x, xLength, batch, steps, lengths, lengthsLength, null, 0, targets, targetsLength), loss);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_evaluate")]
    internal static Status TrainerEvaluate(ulong trainer, float* x, nuint xLength, int* labels, int batch, int steps, float* loss, int* correct)
        => Evaluate("edgelstm_trainer_evaluate", trainer, new Batch(BatchTargets.OneLabelPerSequence, x, xLength, batch, steps, null, 0, labels, 0, null, 0), loss, correct, null, null);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_evaluate_labels")]
    internal static Status TrainerEvaluateLabels(ulong trainer, float* x, nuint xLength, int batch, int steps, int* lengths, nuint lengthsLength, int* labels, nuint labelsLength, float* loss, long* correct, long* judged)
        => Evaluate("edgelstm_trainer_evaluate_labels", trainer, new Batch(BatchTargets.Labels, x, xLength, batch, steps, lengths, lengthsLength, labels, labelsLength, null, 0), loss, null, correct, judged);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_evaluate_targets")]
    internal static Status TrainerEvaluateTargets(ulong trainer, float* x, nuint xLength, int batch, int steps, int* lengths, nuint lengthsLength, float* targets, nuint targetsLength, float* loss)
        => Evaluate("edgelstm_trainer_evaluate_targets", trainer, new Batch(BatchTargets.Targets, x, xLength, batch, steps, lengths, lengthsLength, null, 0, targets, targetsLength), loss, null, null, null);

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_free")]
    internal static Status TrainerFree(ulong trainer)
    {
        LastError.Clear();
        try
        {
            HandleTable.ThrowIfShutDown();
            if (trainer == 0)
            {
                return Status.Ok;
            }

            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            entry.Enter();
            try
            {
                HandleTable.Remove(trainer, HandleKind.Trainer);
                entry.Free();
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_trainer_free", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_set_learning_rate")]
    internal static Status TrainerSetLearningRate(ulong trainer, float learningRate) =>
        OnTrainer(trainer, "edgelstm_trainer_set_learning_rate", entry => entry.SetLearningRate(learningRate));

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_set_clip_norm")]
    internal static Status TrainerSetClipNorm(ulong trainer, float clipNorm) =>
        OnTrainer(trainer, "edgelstm_trainer_set_clip_norm", entry => entry.SetGradientClipNorm(clipNorm));

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_set_threads")]
    internal static Status TrainerSetThreads(ulong trainer, int threads) =>
        OnTrainer(trainer, "edgelstm_trainer_set_threads", entry => entry.SetThreads(ThreadSetting(threads)));

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_iterations")]
    internal static Status TrainerIterations(ulong trainer, long* iterations)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            Args.NotNull(iterations, "iterations");
            entry.Enter();
            try
            {
                *iterations = entry.Iteration;
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_trainer_iterations", e);
        }
    }

    /// <summary>Runs <paramref name="action"/> on a trainer, inside its one-thread-at-a-time gate.</summary>
    private static Status OnTrainer(ulong trainer, string function, Action<TrainerEntry> action)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            entry.Enter();
            try
            {
                action(entry);
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail(function, e);
        }
    }

    /// <summary>Stores a new trainer; if that fails (the library was shut down meanwhile), its threads stop.</summary>
    private static ulong Add(TrainerEntry entry)
    {
        try
        {
            return HandleTable.Add(HandleKind.Trainer, entry);
        }
        catch
        {
            entry.Free();
            throw;
        }
    }

    /// <summary>One training batch: checked, then trained on with the weights held for writing.</summary>
    private static Status Train(string function, ulong trainer, Batch batch, float* loss)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            entry.Enter();
            try
            {
                var spans = batch.Check(entry.Model.Model.Config, function);
                Args.NotNull(loss, "loss");
                float value;
                entry.Model.Weights.EnterWrite();
                try
                {
                    value = entry.TrainBatch(spans.Inputs, batch.Size, spans.Labels, spans.Targets, spans.Lengths);
                }
                finally
                {
                    entry.Model.Weights.ExitWrite();
                }

                *loss = value;
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail(function, e);
        }
    }

    /// <summary>
    /// The loss of one batch without dropout, and for a classifier the head rows it got right: into
    /// <paramref name="correct32"/> (the ABI's first evaluate) or <paramref name="correct"/> and <paramref name="judged"/>.
    /// A regression has no counts (all three null).
    /// </summary>
    private static Status Evaluate(string function, ulong trainer, Batch batch, float* loss, int* correct32, long* correct, long* judged)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            entry.Enter();
            try
            {
                var config = entry.Model.Model.Config;
                var spans = batch.Check(config, function);
                Args.NotNull(loss, "loss");
                if (!config.HeadRegresses)
                {
                    if (correct32 == null)
                    {
                        Args.NotNull(correct, "correct");
                        Args.NotNull(judged, "judged");
                    }
                    else
                    {
                        Args.NotNull(correct32, "correct");
                    }
                }

                float value;
                entry.Model.Weights.EnterRead();
                try
                {
                    value = entry.Trainer.EvaluateLoss(spans.Inputs, batch.Size, spans.Labels, spans.Targets, spans.Lengths);
                }
                finally
                {
                    entry.Model.Weights.ExitRead();
                }

                if (!config.HeadRegresses)
                {
                    var (right, rows) = CorrectCount.Of(entry.Trainer.LastProbabilities, spans.Labels, batch.Size, batch.Steps, config.Classes, config.HeadReadsEveryStep, spans.Lengths);
                    if (correct32 != null)
                    {
                        *correct32 = (int)right; // one row per sequence: at most the batch
                    }
                    else
                    {
                        *correct = right;
                        *judged = rows;
                    }
                }

                *loss = value;
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail(function, e);
        }
    }
}
