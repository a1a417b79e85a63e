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
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            entry.Enter();
            try
            {
                Batch(entry, x, xLength, labels, batch, steps, out var inputs, out var classes);
                Args.NotNull(loss, "loss");
                float value;
                entry.Model.Weights.EnterWrite();
                try
                {
                    value = entry.TrainBatch(inputs, classes);
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
            return LastError.Fail("edgelstm_trainer_train_batch", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "edgelstm_trainer_evaluate")]
    internal static Status TrainerEvaluate(ulong trainer, float* x, nuint xLength, int* labels, int batch, int steps, float* loss, int* correct)
    {
        LastError.Clear();
        try
        {
            var entry = HandleTable.Get<TrainerEntry>(trainer, HandleKind.Trainer);
            entry.Enter();
            try
            {
                Batch(entry, x, xLength, labels, batch, steps, out var inputs, out var classes);
                Args.NotNull(loss, "loss");
                Args.NotNull(correct, "correct");
                float value;
                entry.Model.Weights.EnterRead();
                try
                {
                    value = entry.Trainer.EvaluateLoss(inputs, classes);
                }
                finally
                {
                    entry.Model.Weights.ExitRead();
                }

                int right = 0, count = entry.Model.Model.Config.Classes;
                var probabilities = entry.Trainer.LastProbabilities;
                for (int b = 0; b < batch; b++)
                {
                    if (Evaluator.ArgMax(probabilities.Slice(b * count, count)) == classes[b])
                    {
                        right++;
                    }
                }

                *loss = value;
                *correct = right;
            }
            finally
            {
                entry.Exit();
            }

            return Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Fail("edgelstm_trainer_evaluate", e);
        }
    }

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

    private static void Batch(TrainerEntry entry, float* x, nuint xLength, int* labels, int batch, int steps, out Span<float> inputs, out Span<int> classes)
    {
        var config = entry.Model.Model.Config;
        Args.Positive(batch, "batch");
        Args.Positive(steps, "steps");
        inputs = Args.Exact(x, xLength, Args.Count(batch, steps, config.InputSize), "x", InputShape, batch, steps, config.InputSize);
        Args.NotNull(labels, "labels");
        classes = new Span<int>(labels, batch);
    }
}
