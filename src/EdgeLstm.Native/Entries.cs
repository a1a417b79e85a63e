using EdgeLstm.Inference;
using EdgeLstm.Model;

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

    public static int EffectiveThreads => Resolve(s_threads);

    /// <summary>A thread setting (0 = one per processor) as a count.</summary>
    public static int Resolve(int threads) => threads == 0 ? Environment.ProcessorCount : threads;
}

/// <summary>
/// A model behind a handle: the weights, a fair lock that lets inference share them and training write them, the
/// metadata of the file it came from, and the predictor (with its buffers and threads) that <c>edgelstm_predict</c>
/// and <c>edgelstm_run</c> use, one caller at a time.
/// </summary>
internal sealed class ModelEntry(LstmModel model, IReadOnlyDictionary<string, string> metadata)
{
    private readonly Lock _predictorLock = new();
    private LstmPredictor? _predictor;
    private bool _freed;
    private volatile int _threads = -1;

    public LstmModel Model { get; } = model;

    /// <summary>The <c>__metadata__</c> of the file the model was loaded from, or what a save writes for a new model.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    /// <summary>The metadata's keys in ordinal order: the order C enumerates them in.</summary>
    public string[] MetadataKeys { get; } = [.. metadata.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Inference holds it for reading, a training step for writing; callers are served in arrival order.</summary>
    public FairReaderWriterLock Weights { get; } = new();

    /// <summary>This handle's thread count (0 = one per processor), or −1 to follow <see cref="Settings.Threads"/>.</summary>
    public int Threads
    {
        get => _threads;
        set => _threads = value;
    }

    /// <summary>The head's results per sequence (or per sequence and step); empty <paramref name="lengths"/> = all full length.</summary>
    public void Predict(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> lengths, Span<float> output, bool logits)
    {
        lock (_predictorLock)
        {
            var predictor = Predictor();
            Weights.EnterRead();
            try
            {
                if (logits)
                {
                    predictor.PredictLogits(inputs, batch, lengths, output);
                }
                else
                {
                    predictor.Predict(inputs, batch, lengths, output);
                }
            }
            finally
            {
                Weights.ExitRead();
            }
        }
    }

    public void Run(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> lengths, Span<float> outputs, Span<float> finalC, Span<float> finalH, Span<float> probabilities)
    {
        lock (_predictorLock)
        {
            var predictor = Predictor();
            Weights.EnterRead();
            try
            {
                predictor.Run(inputs, batch, lengths, outputs, finalC, finalH, probabilities);
            }
            finally
            {
                Weights.ExitRead();
            }
        }
    }

    /// <summary>Runs <paramref name="read"/> with the weights held for reading (a save, a clone, a tensor copy).</summary>
    public T Read<T>(Func<LstmModel, T> read)
    {
        Weights.EnterRead();
        try
        {
            return read(Model);
        }
        finally
        {
            Weights.ExitRead();
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

        int threads = _threads >= 0 ? Settings.Resolve(_threads) : Settings.EffectiveThreads;
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

    /// <summary>As <see cref="Enter"/>, but waits for a call in flight on another thread to finish (for the shutdown).</summary>
    public void EnterWhenFree()
    {
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }

    /// <summary>Between <see cref="Enter"/> and <see cref="Exit"/>, after the handle is removed.</summary>
    public void Free()
    {
        if (!_freed)
        {
            _freed = true;
            Release();
        }
    }

    protected abstract void Release();
}

internal sealed class SessionEntry(ModelEntry model, LstmStream stream) : ExclusiveEntry(model)
{
    // Scratch for resetting one stream through the stream's public state calls, allocated once with the session.
    private readonly float[] _c = new float[stream.BatchSize * model.Model.Config.HiddenSize];
    private readonly float[] _h = new float[stream.BatchSize * model.Model.Config.HiddenSize];

    public LstmStream Stream { get; } = stream;

    protected override string Name => "session";

    /// <summary>Zeroes stream <paramref name="index"/>'s c and h in every layer; the other streams keep theirs.</summary>
    public void ResetStream(int index)
    {
        int hidden = Model.Model.Config.HiddenSize;
        for (int layer = 0; layer < Model.Model.Config.Layers; layer++)
        {
            Stream.GetState(layer, _c, _h);
            _c.AsSpan(index * hidden, hidden).Clear();
            _h.AsSpan(index * hidden, hidden).Clear();
            Stream.SetState(layer, _c, _h);
        }
    }

    /// <summary>
    /// Layer <paramref name="layer"/>'s state; an empty <paramref name="c"/> (a GRU layer, which has no cell state)
    /// goes to the scratch instead.
    /// </summary>
    public void GetState(int layer, Span<float> c, Span<float> h) => Stream.GetState(layer, c.IsEmpty ? _c : c, h);

    /// <summary>Sets layer <paramref name="layer"/>'s state; an empty <paramref name="c"/> (a GRU layer) sets zeros there.</summary>
    public void SetState(int layer, ReadOnlySpan<float> c, ReadOnlySpan<float> h)
    {
        if (c.IsEmpty)
        {
            _c.AsSpan().Clear();
            c = _c;
        }

        Stream.SetState(layer, c, h);
    }

    protected override void Release() => Stream.Dispose();
}
