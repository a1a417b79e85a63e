using EdgeLstm.Inference;
using EdgeLstm.Model;
using EdgeLstm.Training;

namespace EdgeLstm.Native;

/// <summary>The library-wide settings.</summary>
internal static class Settings
{
    private static volatile int s_threads;

    /// <summary>Threads for predictors and new trainers: 0 = one per processor.</summary>
    public static int Threads
    {
        get => s_threads;
        set => s_threads = value;
    }

    public static int EffectiveThreads => s_threads == 0 ? Environment.ProcessorCount : s_threads;
}

/// <summary>
/// A model behind a handle: the weights, a lock that lets inference share them and training write them, and the
/// predictor (with its buffers and threads) that <c>edgelstm_predict</c> and <c>edgelstm_run</c> use, one caller at a time.
/// </summary>
internal sealed class ModelEntry(LstmModel model)
{
    private readonly Lock _predictorLock = new();
    private LstmPredictor? _predictor;
    private bool _freed;

    public LstmModel Model { get; } = model;

    /// <summary>Inference holds it for reading, a training step for writing.</summary>
    public ReaderWriterLockSlim Weights { get; } = new(LockRecursionPolicy.NoRecursion);

    public void Predict(ReadOnlySpan<float> inputs, int batch, Span<float> output, bool logits)
    {
        lock (_predictorLock)
        {
            var predictor = Predictor();
            Weights.EnterReadLock();
            try
            {
                if (logits)
                {
                    predictor.PredictLogits(inputs, batch, output);
                }
                else
                {
                    predictor.Predict(inputs, batch, output);
                }
            }
            finally
            {
                Weights.ExitReadLock();
            }
        }
    }

    public void Run(ReadOnlySpan<float> inputs, int batch, Span<float> outputs, Span<float> finalC, Span<float> finalH, Span<float> probabilities)
    {
        lock (_predictorLock)
        {
            var predictor = Predictor();
            Weights.EnterReadLock();
            try
            {
                predictor.Run(inputs, batch, outputs, finalC, finalH, probabilities);
            }
            finally
            {
                Weights.ExitReadLock();
            }
        }
    }

    /// <summary>After the handle is removed: stops the predictor's threads once a call in flight is done.</summary>
    public void Free()
    {
        lock (_predictorLock)
        {
            _freed = true;
            _predictor?.Dispose();
            _predictor = null;
        }
    }

    private LstmPredictor Predictor()
    {
        if (_freed)
        {
            throw new NativeException(Status.InvalidHandle, "the model handle was freed during the call");
        }

        int threads = Settings.EffectiveThreads;
        if (_predictor is null || _predictor.Threads != threads)
        {
            _predictor?.Dispose();
            _predictor = null;
            _predictor = new LstmPredictor(Model, threads);
        }

        return _predictor;
    }
}

/// <summary>
/// An object one thread uses at a time (a session, a trainer): a second thread that comes in meanwhile gets
/// <see cref="Status.Busy"/> rather than a race, and a call that comes in after the free gets <see cref="Status.InvalidHandle"/>.
/// </summary>
internal abstract class ExclusiveEntry(ModelEntry model)
{
    private int _busy;
    private bool _freed;

    public ModelEntry Model { get; } = model;

    protected abstract string Name { get; }

    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            throw new NativeException(Status.Busy, $"the {Name} is in use by a call on another thread; a {Name} serves one thread at a time");
        }

        if (_freed)
        {
            Exit();
            throw new NativeException(Status.InvalidHandle, $"the {Name} handle was freed");
        }
    }

    public void Exit() => Volatile.Write(ref _busy, 0);

    /// <summary>Between <see cref="Enter"/> and <see cref="Exit"/>, after the handle is removed.</summary>
    public void Free()
    {
        _freed = true;
        Release();
    }

    protected abstract void Release();
}

internal sealed class SessionEntry(ModelEntry model, LstmStream stream) : ExclusiveEntry(model)
{
    public LstmStream Stream { get; } = stream;

    protected override string Name => "session";

    protected override void Release() => Stream.Dispose();
}

internal sealed class TrainerEntry(ModelEntry model, LstmTrainer trainer) : ExclusiveEntry(model)
{
    public LstmTrainer Trainer { get; } = trainer;

    protected override string Name => "trainer";

    protected override void Release() => Trainer.Dispose();
}
